"""CLI: python -m media_impact.world --scale 1 --seed 20261122 --out seeds"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from .feeds import write_world
from .simulate import build_world


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m media_impact.world", description=__doc__)
    parser.add_argument("--scale", type=int, default=1, help="multiplies markets per country and journey users")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--out", type=Path, default=Path("seeds"), help="folder that receives raw/, reference/, truth/")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    world = build_world(scale=args.scale, seed=args.seed)
    rows = write_world(world, args.out)
    total_bytes = sum(p.stat().st_size for p in args.out.glob("*/*.csv"))
    for name, n in sorted(rows.items()):
        print(f"{name:45s} {n:>10,d} rows")
    print(f"{'total':45s} {sum(rows.values()):>10,d} rows, {total_bytes / 1e6:.2f} MB of CSV, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
