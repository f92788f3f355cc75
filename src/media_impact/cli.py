"""`media-impact <command>`: one entry point for the project's command-line tools.

Each command is the `__main__` of a package module, so `media-impact build` and
`python -m media_impact.pipeline build` are the same thing.
"""
from __future__ import annotations

import runpy
import sys

COMMANDS = {
    "generate": ("media_impact.world", "write a sample world (raw feeds + truth)"),
    "build": ("media_impact.pipeline", "dbt build with clear bad-input messages"),
    "bench": ("media_impact.pipeline.bench", "build benchmark at several scales"),
    "mmm": ("media_impact.mmm", "fit the MMM on your own data from a YAML config"),
    "forecast": ("media_impact.forecast", "backtest and forecast your own weekly file from a YAML config"),
    "bench-mmm": ("media_impact.mmm.bench", "MMM accuracy and speed benchmark"),
    "bench-attribution": ("media_impact.attribution.bench", "path building at 10M touchpoints"),
    "bench-forecast": ("media_impact.forecast.bench", "forecast stage vs statsforecast"),
}


def write_tables(tables: dict, folder, prefix: str) -> None:
    """``--out DIR`` of the bring-your-own-data commands: each table as ``<prefix>_<name>.csv``."""
    if not folder:
        return
    from pathlib import Path

    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(d / f"{prefix}_{name}.csv", index=False)
    print(f"\nwrote {len(tables)} tables to {d}")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        print("usage: media-impact <command> [args]\n\ncommands:")
        for name, (_, help_text) in COMMANDS.items():
            print(f"  {name:<{width}}  {help_text}")
        sys.exit(0 if argv and argv[0] in ("-h", "--help") else 2)
    module, _ = COMMANDS[argv[0]]
    sys.argv = [f"media-impact {argv[0]}", *argv[1:]]
    if module == "media_impact.pipeline":
        sys.argv.insert(1, "build")
    runpy.run_module(module, run_name="__main__", alter_sys=True)
