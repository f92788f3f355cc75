"""`python -m media_impact.forecast fit --config examples/forecast/forecast.yml [--out DIR] [--no-backtest]`

Forecasts a user's long weekly file (one row per series and week: series id, week,
units, planned spend, other known-future columns) mapped by a YAML config, with no
code change: the backtest (rolling origins, MASE and 80% interval coverage next to
seasonal naive, model choice per series) and P10/P50/P90 for `forecast.horizon_weeks`
weeks after each series' own last week with units. ``--no-backtest`` forecasts only.
The input contract is :mod:`media_impact.forecast.inputs`; a mistake ends with exit
code 2 and one message. Progress goes to stderr, tables to stdout, CSVs to ``--out``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from media_impact.cli import write_tables

import pandas as pd

from media_impact.forecast.config import load_config
from media_impact.forecast.inputs import InputError, check_config, check_frame, min_history_weeks, to_features
from media_impact.inputs import read_csv_text, read_yaml

OUTPUT_COLUMNS = ["series", "country_id", "forecast_origin_week", "week_start", "horizon", "model", "p10", "p50", "p90"]


def settings_for(cfg: dict) -> dict:
    """The package settings (config/forecast/forecast.yml) with the user's horizon, season and columns."""
    fc, data = cfg.get("forecast") or {}, cfg["data"]
    default = load_config()
    return load_config(horizon=int(fc.get("horizon_weeks", default["horizon"])),
                       season_length_weeks=int(fc.get("season_length_weeks", default["season_length_weeks"])),
                       global_model={"spend_columns": list(data.get("spend_columns") or []),
                                     "future_columns": list(data.get("future_columns") or []),
                                     "macro_columns": []})


def read_inputs(config_path, backtest: bool | None = None) -> tuple[dict, dict, pd.DataFrame, bool]:
    """(config, settings, feature table, backtest?) from a YAML and its file, checked."""
    cfg = read_yaml(config_path)
    check_config(cfg, str(config_path))
    data = cfg["data"]
    if not data.get("path"):
        raise InputError(f"{config_path}: data.path is required (the CSV file, relative to the YAML)")
    path = Path(data["path"])
    if not path.exists():
        raise InputError(f"data file not found: {path} (data.path in {config_path})")
    if backtest is None:
        backtest = bool((cfg.get("forecast") or {}).get("backtest", True))
    settings = settings_for(cfg)
    raw = read_csv_text(path, data.get("separator", ","))
    frame = check_frame(raw, data, str(path), min_history_weeks(settings, backtest))
    return cfg, settings, to_features(frame, data, int(settings["season_length_weeks"])), backtest


def future_spend_warning(features: pd.DataFrame, settings: dict) -> str | None:
    """A warning naming the series whose future weeks lack planned spend / known-future values."""
    from media_impact.forecast.panel import missing_future_weeks, prepare_panel

    columns = settings["global_model"]["spend_columns"] + settings["global_model"]["future_columns"]
    if not columns:
        return None
    horizon = int(settings["horizon"])
    missing = missing_future_weeks(prepare_panel(features), horizon)
    missing = missing[missing > 0]
    if missing.empty:
        return None
    eg = ", ".join(f"{s.split('|')[0]!r} ({n} of {horizon} weeks)" for s, n in missing.head(3).items())
    return (f"warning: {', '.join(columns)} not given for the future weeks of {len(missing)} series, e.g. {eg}. "
            f"Each missing week is filled with the series' mean over its last 13 weeks with units. Add rows "
            f"after each series' last week, with units empty and the planned values, to forecast your plan.")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m media_impact.forecast")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit", help="backtest and forecast a long weekly file mapped by a YAML config")
    f.add_argument("--config", required=True)
    f.add_argument("--out", help="folder for CSVs of the forecasts and the backtest tables")
    f.add_argument("--no-backtest", action="store_true",
                   help="forecast only: skip the backtest (no accuracy figures; every series gets the global model)")
    a = ap.parse_args(argv)

    def say(message: str) -> None:
        print(f"[forecast] {message}", file=sys.stderr, flush=True)

    try:
        cfg, settings, features, backtest = read_inputs(a.config, False if a.no_backtest else None)
    except InputError as exc:
        print(f"input error: {exc}", file=sys.stderr)
        return 2
    from media_impact.forecast.pipeline import run_forecasting

    warning = future_spend_warning(features, settings)
    if warning:
        print(warning, file=sys.stderr)
    n_series = features["market_id"].nunique()
    say(f"{n_series} series, {len(features)} rows; horizon {settings['horizon']} weeks, season "
        f"{settings['season_length_weeks']} weeks; " + ("backtest, then the final fit" if backtest else "forecast only"))
    out = run_forecasting(features, None, settings, backtest=backtest, progress=say)
    say(f"done in {out['timings_s']['total']:.1f} s")
    tables = present(out)
    pd.set_option("display.width", 200)
    print(f"config {cfg['name']}: {n_series} series, forecasts for {settings['horizon']} weeks after each series' last week")
    if backtest:
        m = out["backtest_metrics"]
        overall = m.loc[(m["series_id"] == "__overall__") & (m["level"] == "series")]
        print("\nbacktest (series level; MASE averaged over series, coverage of [P10, P90] pooled)")
        print(overall[["model", "mase", "wape", "bias", "coverage_80", "n_forecasts"]].to_string(index=False))
        print(f"\nmodels chosen: {out['model_choice']['chosen_model'].value_counts().to_dict()}")
    print("\nforecast (first rows)")
    print(tables["forecast"].head(8).to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    write_tables(tables, a.out, "forecast")
    return 0


def present(out: dict) -> dict[str, pd.DataFrame]:
    """The tables a user reads, with their series id as `series` (no internal retailer key)."""
    fc = out["forecast"].assign(series=out["forecast"]["market_id"])
    tables = {"forecast": fc[OUTPUT_COLUMNS], "national": out["national"]}
    if out["backtest_predictions"] is not None:
        pred = out["backtest_predictions"]
        series = pred.loc[pred["level"] == "series"]
        tables["backtest_predictions"] = series.assign(series=series["market_id"])[
            ["series", "origin_week", "week_start", "horizon", "model", "p10", "p50", "p90", "units"]]
        metrics = out["backtest_metrics"].loc[out["backtest_metrics"]["level"] == "series"]
        tables["backtest_metrics"] = metrics.assign(series=metrics["series_id"].str.split("|").str[0]).drop(columns="series_id")
        choice = out["model_choice"]
        tables["model_choice"] = choice.assign(series=choice["market_id"]).drop(columns=["series_id", "market_id", "retailer_id"])
    return tables


if __name__ == "__main__":
    sys.exit(main())
