"""`python -m media_impact.mmm fit --config config/mmm/robyn_example.yml`

``fit`` fits the MMM on a user's weekly file mapped by a YAML config (no code change)
and prints the chosen model, the candidate table and the channel ROI table with 90%
intervals; ``--out DIR`` also writes every output table as CSV, ``--save FILE`` the
fitted model (:mod:`media_impact.mmm.saved`). Progress goes to stderr. The config may
name your own lift tests (``calibration: {path: lifts.csv}``) and priors (``priors:``);
``data.currency`` (default USD) labels every money column.

``plan --model FILE`` plans on a saved model without refitting: response curves, the
optimal split and the scenarios (``--move USD --from CH --to CH``, ``--budget-change``)
with their 90% intervals.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from media_impact.cli import write_tables


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m media_impact.mmm")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit", help="fit a config's data and print the ROI table")
    f.add_argument("--config", required=True)
    f.add_argument("--out", help="folder for CSVs of every output table")
    f.add_argument("--save", help="write the fitted model to this file (plan on it later without refitting)")
    f.add_argument("--bootstrap", type=int, help="override bootstrap.samples")
    pl = sub.add_parser("plan", help="plan on a saved model (no refit): curves, optimal split, scenarios")
    pl.add_argument("--model", required=True, help="a file written by fit --save")
    pl.add_argument("--move", type=float, help="amount to reallocate (in the data's currency)")
    pl.add_argument("--from", dest="from_channel", help="channel the amount moves from")
    pl.add_argument("--to", dest="to_channel", help="channel the amount moves to")
    pl.add_argument("--budget-change", type=float, help="the +- budget scenarios' change, e.g. 0.1")
    pl.add_argument("--out", help="folder for CSVs of the planning tables")
    a = ap.parse_args(argv)
    # the numerical stack is imported after the arguments, so --help answers at once
    return _plan(a) if a.cmd == "plan" else _fit(a)


def _fit(a) -> int:
    from .inputs import InputError
    from .pipeline import run_models

    try:
        cfg, frame, calibration = read_inputs(a.config)
    except InputError as exc:
        print(f"input error: {exc}", file=sys.stderr)
        return 2
    if a.bootstrap is not None:
        cfg.setdefault("bootstrap", {})["samples"] = a.bootstrap
    t0 = time.perf_counter()
    try:
        out, fitted = run_models(frame, cfg["data"], cfg, calibration,
                                 progress=lambda msg: print(f"[{time.perf_counter() - t0:6.1f} s] {msg}",
                                                            file=sys.stderr, flush=True))
    except ValueError as exc:      # data rules checked while building the panel (split_columns)
        print(f"input error: {cfg['data']['path']}: {exc}", file=sys.stderr)
        return 2
    secs = time.perf_counter() - t0
    cur = currency(cfg)
    out = {k: labelled(v, cur) for k, v in out.items()}
    runs = out["model_runs"]
    print(f"config {cfg['name']}: {len(runs)} model(s) in {secs:.1f} s; money in {cur}")
    show(runs[["model_scope", "country_id", "adstock", "saturation", "nrmse_train", "mape_train",
               "nrmse_oos", "mape_oos", "decomp_rssd", "fit_seconds"]])
    print("\ncandidates")
    show(out["candidates"].drop(columns=["run_id"]))
    m = cur.lower()
    cols = ["model_scope", "country_id", "channel_id", f"spend_{m}", f"incremental_revenue_{m}",
            "roi", "roi_lower_90", "roi_upper_90", "marginal_roi", "marginal_roi_lower_90",
            "marginal_roi_upper_90"]
    print("\nchannel ROI (incremental revenue with carryover / spend; posterior medians and 90% intervals)")
    show(out["channel_roi"][cols], floats=True)
    alloc = out["budget_allocation"]
    if len(alloc):
        print("\nbudget allocation (last planning window)")
        show(alloc[["country_id", "channel_id", f"current_spend_{m}", f"optimal_spend_{m}",
                    "optimal_marginal_roi", "solver_status"]])
    if a.save:
        from .saved import SavedModelError, save

        try:
            print(f"\nsaved the fitted model to {save(a.save, frame, cfg['data'], cfg, fitted)}")
        except SavedModelError as exc:
            print(f"cannot save: {exc}", file=sys.stderr)
            return 2
    write_tables(out, a.out, "mmm")
    return 0


def _plan(a) -> int:
    from .saved import SavedModelError, load, plan

    try:
        meta = load(a.model)[0]
        out = plan(a.model, a.move, a.from_channel, a.to_channel, a.budget_change)
    except SavedModelError as exc:
        print(f"input error: {exc}", file=sys.stderr)
        return 2
    cur = currency(meta["config"])
    out = {k: labelled(v, cur) for k, v in out.items()}
    m = cur.lower()
    print(f"saved model {a.model} ({meta['config'].get('name')}): planning over its posterior draws, "
          f"money in {cur}, no refit")
    cols = ["country_id", "scenario_name", f"scenario_gain_{m}", f"scenario_gain_lower_90_{m}",
            f"scenario_gain_upper_90_{m}"]
    show(out["scenarios"][cols].drop_duplicates(), floats=True)
    write_tables(out, a.out, "mmm")
    return 0


def currency(cfg: dict) -> str:
    return str((cfg.get("data") or {}).get("currency") or "USD").upper()


def labelled(df, cur: str):
    """Money columns named for the data's currency (``spend_usd`` -> ``spend_eur``)."""
    if cur == "USD":
        return df
    m = cur.lower()
    return df.rename(columns=lambda c: c[:-4] + f"_{m}" if c.endswith("_usd")
                     else c.replace("_usd_", f"_{m}_"))


def show(df, floats: bool = False) -> None:
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(df.to_string(index=False, float_format=(lambda v: f"{v:,.3f}") if floats else None))


def read_inputs(config_path) -> tuple:
    """The config, its file and the lift tests it names (``None`` without), checked
    (:mod:`media_impact.mmm.inputs`)."""
    from media_impact.inputs import read_csv_text, read_yaml

    from .inputs import InputError, check_config, check_frame

    cfg = read_yaml(config_path)
    check_config(cfg, str(config_path))
    if not cfg["data"].get("path"):
        raise InputError(f"{config_path}: data.path is required (the CSV file, relative to the YAML)")
    path = Path(cfg["data"]["path"])
    if not path.exists():
        raise InputError(f"data file not found: {path} (data.path in {config_path})")
    raw = read_csv_text(path, cfg["data"].get("separator", ","))
    frame = check_frame(raw, cfg["data"], str(path))
    cal = cfg.get("calibration") or {}
    if not cal:
        return cfg, frame, None
    from .inputs import check_calibration

    cpath = Path(cal.get("path", ""))
    cpath = cpath if cpath.is_absolute() else Path(config_path).parent / cpath
    if not cal.get("path") or not cpath.exists():
        raise InputError(f"calibration file not found: {cpath} (calibration.path in {config_path})")
    return cfg, frame, check_calibration(read_csv_text(cpath), list(cfg["data"]["spend_columns"]), str(cpath),
                                         frame[cfg["data"]["date_column"]])


if __name__ == "__main__":
    sys.exit(main())
