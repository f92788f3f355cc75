"""Robustness family: fit many :mod:`benchworld` worlds through bring-your-own-data.

Each world is written as a CSV plus a mapping-only YAML (package defaults apply) and
fitted exactly as a user would, ``python -m media_impact.mmm fit --config world.yml
--out fit`` (in-process, its printout and warnings in ``fit/fit.log``); the preferred (national)
ROI rows are joined to the world's truth. ``peers``: an optional
``peer_fit(world_dir) -> (DataFrame[channel_id, roi, roi_lower_90, roi_upper_90], wall_seconds)``
applied to the first ``n_peer_worlds`` worlds, printed beside ours on that subset.
"""
from __future__ import annotations

import contextlib
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import benchworld

# Seeds are chosen once (world i uses FIRST_SEED + i) and never changed to improve a figure.
FIRST_SEED = 7000


def fit_world(world_dir: Path) -> tuple[pd.DataFrame, float, float]:
    """Our fit of one written world: (preferred ROI rows, wall seconds, CPU seconds)."""
    from .__main__ import main as cli

    fit_dir = Path(world_dir) / "fit"
    fit_dir.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    with open(fit_dir / "fit.log", "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        rc = cli(["fit", "--config", str(Path(world_dir) / "world.yml"), "--out", str(fit_dir)])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if rc:
        raise RuntimeError(f"fit of {world_dir} failed (exit {rc}); see {fit_dir / 'fit.log'}")
    roi = pd.read_csv(fit_dir / "mmm_channel_roi.csv")
    pref = roi[roi.is_preferred.astype(bool)] if roi.is_preferred.any() else roi[roi.model_scope == "national"]
    return pref, wall, cpu


def score(est: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Join estimates to truth: relative error and 90% interval coverage per channel."""
    cols = ["channel_id", "roi", "roi_lower_90", "roi_upper_90"]
    df = truth[["channel_id", "spend_share", "true_roi"]].merge(est[cols], on="channel_id", how="left")
    df["err"] = df.roi / df.true_roi - 1
    df["covered"] = (df.roi_lower_90 <= df.true_roi) & (df.true_roi <= df.roi_upper_90)
    df["rel_width"] = (df.roi_upper_90 - df.roi_lower_90) / df.true_roi
    return df


def summarise(rows: pd.DataFrame, walls: list) -> dict:
    big = rows[rows.spend_share >= 0.05]
    ae = rows.err.abs()
    return {"worlds": int(rows.world.nunique()), "channels": len(rows),
            "mean_abs_err": float(ae.mean()), "median_abs_err": float(ae.median()),
            "covered": int(rows.covered.sum()), "coverage": float(rows.covered.mean()),
            "median_rel_width": float(rows.rel_width.median()),
            "channels_5pct": len(big), "covered_5pct": int(big.covered.sum()),
            "coverage_5pct": float(big.covered.mean()) if len(big) else np.nan,
            "mean_abs_err_5pct": float(big.err.abs().mean()) if len(big) else np.nan,
            "median_wall_s": float(statistics.median(walls)) if walls else np.nan,
            "max_wall_s": float(max(walls)) if walls else np.nan}


def _print_summary(label: str, s: dict) -> None:
    print(f"  {label}: {s['worlds']} worlds, {s['channels']} channels; |ROI error| mean {s['mean_abs_err']:.1%}, "
          f"median {s['median_abs_err']:.1%}; 90% coverage {s['covered']}/{s['channels']} ({s['coverage']:.0%}); "
          f"median interval width {s['median_rel_width']:.2f} x true ROI")
    print(f"    channels >= 5% of spend: coverage {s['covered_5pct']}/{s['channels_5pct']} "
          f"({s['coverage_5pct']:.0%}), mean |error| {s['mean_abs_err_5pct']:.1%}; "
          f"fit wall time median {s['median_wall_s']:.1f} s, max {s['max_wall_s']:.1f} s")


def by_channel(rows: pd.DataFrame) -> pd.DataFrame:
    """Per channel name across worlds: count, mean and median |ROI error|, 90% coverage,
    median relative interval width."""
    g = rows.assign(abs_err=rows.err.abs()).groupby("channel_id")
    return pd.DataFrame({"worlds": g.size(), "mean_abs_err": g.abs_err.mean(), "median_abs_err": g.abs_err.median(),
                         "coverage": g.covered.mean(), "median_rel_width": g.rel_width.median()})


def _table(rows: pd.DataFrame) -> str:
    t = rows[["world", "channel_id", "spend_share", "true_roi", "roi", "roi_lower_90", "roi_upper_90",
              "err", "covered"]].rename(columns={"channel_id": "channel", "roi": "est", "roi_lower_90": "lower",
                                                 "roi_upper_90": "upper", "spend_share": "share"})
    return t.to_string(index=False, float_format=lambda v: f"{v:.3f}")


def run(n_worlds: int, out_dir, first_seed: int = FIRST_SEED, peers=None, n_peer_worlds: int = 5,
        verbose: bool = True) -> tuple[pd.DataFrame, dict]:
    """Draw, write and fit ``n_worlds`` worlds; return per-channel rows and the summary
    (``summary["peer"]``: ours and the peer's figures on the shared subset, when ``peers``)."""
    out_dir = Path(out_dir)
    parts, walls, peer_parts, peer_rows = [], [], [], []
    for i in range(n_worlds):
        seed = first_seed + i
        wdir = benchworld.write_world(benchworld.draw_world(seed), out_dir / f"world_{i:03d}")
        truth = pd.read_csv(wdir / "truth.csv")
        est, wall, cpu = fit_world(wdir)
        walls.append(wall)
        rows = score(est, truth).assign(world=i, seed=seed, wall_s=wall, cpu_s=cpu)
        parts.append(rows)
        line = f"world {i:03d} (seed {seed}, {len(truth)} channels): fit {wall:.1f} s wall, {cpu:.1f} s CPU"
        if peers is not None and i < n_peer_worlds:
            try:
                pest, pwall = peers(wdir)
                peer_parts.append(score(pest, truth).assign(world=i, seed=seed, wall_s=pwall))
                peer_rows.append({"world": i, "ours_s": wall, "peer_s": pwall, "ratio": pwall / wall})
                line += f"; peer {pwall:.1f} s ({pwall / wall:.1f}x ours)"
            except Exception as exc:   # a peer's failure is reported, not fatal
                line += f"; peer failed: {exc!r}"
        if verbose:
            print(line, flush=True)
    rows = pd.concat(parts, ignore_index=True)
    summary = summarise(rows, walls)
    if verbose:
        print(f"\nRobustness family: {n_worlds} bench worlds (seeds {first_seed}..{first_seed + n_worlds - 1}), "
              "bring-your-own-data with package defaults")
        print(_table(rows))
        print("\nper channel (across worlds)")
        print(by_channel(rows).to_string(float_format=lambda v: f"{v:.3f}"))
        _print_summary("ours", summary)
    if peer_parts:
        shared = sorted({int(w) for p in peer_parts for w in p.world})
        prow = pd.concat(peer_parts, ignore_index=True)
        speed = pd.DataFrame(peer_rows)
        ours_sub = summarise(rows[rows.world.isin(shared)], [w for j, w in enumerate(walls) if j in shared])
        peer_sub = summarise(prow, list(speed.peer_s))
        summary["peer"] = {"worlds": shared, "ours": ours_sub, "peer": peer_sub, "speed": speed,
                           "rows": prow}
        if verbose:
            print(f"\nPeer side by side on worlds {shared}")
            print(_table(prow))
            _print_summary("ours", ours_sub)
            _print_summary("peer", peer_sub)
            print("  speed (peer wall / ours): " + ", ".join(
                f"world {int(r.world):03d} {r.ratio:.1f}x" for r in speed.itertuples())
                  + f"; median {speed.ratio.median():.1f}x")
    return rows, summary
