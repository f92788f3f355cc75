"""What the dbt Python models in python_models/forecast/ call: one function per output table.

Each takes the upstream tables as DataFrames and the dbt var
`forecast_horizon_weeks`, calls the tested stage function of `pipeline`, and
returns a table with warehouse-friendly types (weeks as dates).
"""
from __future__ import annotations

import json

import pandas as pd

from media_impact.forecast import fingerprint, pipeline
from media_impact.forecast.config import load_config


def _cfg(horizon) -> dict:
    return load_config(horizon=int(horizon)) if horizon is not None else load_config()


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if col.endswith("_week") or col == "week_start":
            out[col] = pd.to_datetime(out[col]).dt.date
    return out


def input_fingerprint(features: pd.DataFrame, horizon=None) -> pd.DataFrame:
    """One row: the fingerprint of the features, settings and prediction code (`fingerprint`)."""
    cfg = _cfg(horizon)
    return pd.DataFrame([{"input_fingerprint": fingerprint.input_fingerprint(features, cfg),
                          "n_feature_rows": len(features), "config_json": json.dumps(cfg, sort_keys=True)}])


def prediction_cache(features: pd.DataFrame, key: pd.DataFrame, cached: pd.DataFrame | None, horizon=None) -> pd.DataFrame:
    """The rows to (re)write for the current fingerprint: the `cached` ones when an earlier build
    stored them (reuse_count + 1; nothing is fitted), else the backtest and the final fit."""
    fp = key["input_fingerprint"].iloc[0]
    if cached is not None and len(cached):
        return _typed(cached.assign(reuse_count=cached["reuse_count"] + 1))
    pred = pipeline.predictions(features, _cfg(horizon))
    return _typed(pred.assign(input_fingerprint=fp, reuse_count=0))


def backtest_metrics(predictions: pd.DataFrame) -> pd.DataFrame:
    return _typed(pipeline.backtest_metrics(_as_weeks(predictions)))


def model_choice(metrics: pd.DataFrame) -> pd.DataFrame:
    return _typed(pipeline.choose_models(metrics))


def backtest_cost(predictions: pd.DataFrame, choice: pd.DataFrame, series_costs: pd.DataFrame, horizon=None) -> pd.DataFrame:
    costs = pipeline.series_cost_table(choice, series_costs, _cfg(horizon))
    return _typed(pipeline.backtest_cost(_as_weeks(predictions), choice, costs))


def forecast_weekly(final: pd.DataFrame, choice: pd.DataFrame, series_costs: pd.DataFrame, horizon=None) -> pd.DataFrame:
    """`final`: the cache's 'forecast' rows of the current fingerprint (no fitting here)."""
    final = _as_weeks(final).drop(columns="prediction_kind")
    costs = pipeline.series_cost_table(final.loc[final["level"] == "series"], series_costs, _cfg(horizon))
    return _typed(pipeline.choose_forecasts(final, choice, costs))


def national_weekly(forecast: pd.DataFrame, backtest: pd.DataFrame | None = None, horizon=None) -> pd.DataFrame:
    """Country totals; `backtest` (the current backtest predictions) says how series err together."""
    quantiles = [float(q) for q in _cfg(horizon)["quantiles"]]
    errors = None if backtest is None else pipeline.backtest_scores(_as_weeks(backtest), quantiles)
    return _typed(pipeline.national_forecast(_as_weeks(forecast), errors))


def feature_drift(features: pd.DataFrame, horizon=None) -> pd.DataFrame:
    return _typed(pipeline.feature_drift(features, _cfg(horizon)))


def accuracy_over_time(predictions: pd.DataFrame, horizon=None) -> pd.DataFrame:
    return _typed(pipeline.accuracy_over_time(_as_weeks(predictions), _cfg(horizon)))


def forecast_run(features, metrics, choice, cost, drift, accuracy, forecast, horizon=None) -> pd.DataFrame:
    return _typed(pipeline.run_record(features, metrics, choice, cost, drift, accuracy, _as_weeks(forecast), _cfg(horizon)))


def _as_weeks(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if col.endswith("_week") or col == "week_start":
            out[col] = pd.to_datetime(out[col])
    return out


def product_weekly(forecast: pd.DataFrame, sales: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    return _typed(pipeline.product_forecast(_as_weeks(forecast), sales, products))
