"""`python -m media_impact.mmm fit --config config/mmm/robyn_example.yml`

Fits the MMM on a user's weekly file mapped by a YAML config (no code change) and
prints the chosen model, the candidate table and the channel ROI table with 90%
intervals. ``--out DIR`` also writes every output table as CSV.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m media_impact.mmm")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit", help="fit a config's data and print the ROI table")
    f.add_argument("--config", required=True)
    f.add_argument("--out", help="folder for CSVs of every output table")
    f.add_argument("--bootstrap", type=int, help="override bootstrap.samples")
    a = ap.parse_args(argv)
    # the numerical stack is imported after the arguments, so --help answers at once
    import pandas as pd

    from .inputs import InputError
    from .pipeline import run_all

    try:
        cfg, frame = read_inputs(a.config)
    except InputError as exc:
        print(f"input error: {exc}", file=sys.stderr)
        return 2
    if a.bootstrap is not None:
        cfg.setdefault("bootstrap", {})["samples"] = a.bootstrap
    t0 = time.perf_counter()
    try:
        out = run_all(frame, cfg["data"], cfg)
    except ValueError as exc:      # data rules checked while building the panel (split_columns)
        print(f"input error: {cfg['data']['path']}: {exc}", file=sys.stderr)
        return 2
    secs = time.perf_counter() - t0
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    runs = out["model_runs"]
    print(f"config {cfg['name']}: {len(runs)} model(s) in {secs:.1f} s")
    print(runs[["model_scope", "country_id", "adstock", "saturation", "nrmse_train", "mape_train",
                "nrmse_oos", "mape_oos", "decomp_rssd", "fit_seconds"]].to_string(index=False))
    print("\ncandidates")
    print(out["candidates"].drop(columns=["run_id"]).to_string(index=False))
    roi = out["channel_roi"]
    cols = ["model_scope", "country_id", "channel_id", "spend_usd", "incremental_revenue_usd",
            "roi", "roi_lower_90", "roi_upper_90", "marginal_roi", "marginal_roi_lower_90",
            "marginal_roi_upper_90"]
    print("\nchannel ROI (incremental revenue with carryover / spend; posterior medians and 90% intervals)")
    print(roi[cols].to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    alloc = out["budget_allocation"]
    if len(alloc):
        print("\nbudget allocation (last planning window)")
        print(alloc[["country_id", "channel_id", "current_spend_usd", "optimal_spend_usd",
                     "optimal_marginal_roi", "solver_status"]].to_string(index=False))
    if a.out:
        d = Path(a.out)
        d.mkdir(parents=True, exist_ok=True)
        for name, df in out.items():
            df.to_csv(d / f"mmm_{name}.csv", index=False)
        print(f"\nwrote {len(out)} tables to {d}")
    return 0


def read_inputs(config_path) -> tuple:
    """The config and its file, checked (:mod:`media_impact.mmm.inputs`)."""
    import pandas as pd
    import yaml

    from .data import load_config
    from .inputs import InputError, check_config, check_frame

    if not Path(config_path).exists():
        raise InputError(f"config file not found: {config_path}")
    try:
        cfg = load_config(config_path)
    except yaml.YAMLError as exc:
        raise InputError(f"{config_path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    check_config(cfg, str(config_path))
    if not cfg["data"].get("path"):
        raise InputError(f"{config_path}: data.path is required (the CSV file, relative to the YAML)")
    path = Path(cfg["data"]["path"])
    if not path.exists():
        raise InputError(f"data file not found: {path} (data.path in {config_path})")
    try:
        # every cell as written, so 'n/a' is reported as text and not read as missing
        raw = pd.read_csv(path, sep=cfg["data"].get("separator", ","), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: cannot be read as CSV: {str(exc).splitlines()[0]}") from None
    return cfg, check_frame(raw, cfg["data"], str(path))


if __name__ == "__main__":
    sys.exit(main())
