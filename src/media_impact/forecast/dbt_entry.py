"""What the dbt Python models in python_models/forecast/ call: one function per output table.

Each takes the upstream tables as DataFrames and the dbt var
`forecast_horizon_weeks`, calls the tested stage function of `pipeline`, and
returns a table with warehouse-friendly types (weeks as dates).
"""
from __future__ import annotations

import pandas as pd

from media_impact.forecast import pipeline
from media_impact.forecast.config import load_config


def _cfg(horizon) -> dict:
    return load_config(horizon=int(horizon)) if horizon is not None else load_config()


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if col.endswith("_week") or col == "week_start":
            out[col] = pd.to_datetime(out[col]).dt.date
    return out


def backtest_predictions(features: pd.DataFrame, horizon=None) -> pd.DataFrame:
    return _typed(pipeline.backtest_predictions(features, _cfg(horizon)))


def backtest_metrics(predictions: pd.DataFrame) -> pd.DataFrame:
    return _typed(pipeline.backtest_metrics(_as_weeks(predictions)))


def model_choice(metrics: pd.DataFrame) -> pd.DataFrame:
    return _typed(pipeline.choose_models(metrics))


def backtest_cost(predictions: pd.DataFrame, choice: pd.DataFrame, series_costs: pd.DataFrame, horizon=None) -> pd.DataFrame:
    costs = pipeline.series_cost_table(choice, series_costs, _cfg(horizon))
    return _typed(pipeline.backtest_cost(_as_weeks(predictions), choice, costs))


def forecast_weekly(features: pd.DataFrame, choice: pd.DataFrame, series_costs: pd.DataFrame,
                    predictions: pd.DataFrame, horizon=None) -> pd.DataFrame:
    cfg = _cfg(horizon)
    stage = pipeline.Stage(features, cfg)
    costs = pipeline.series_cost_table(stage.panel, series_costs, cfg)
    return _typed(pipeline.forecast_future(features, choice, costs, cfg, stage, _as_weeks(predictions)))


def national_weekly(forecast: pd.DataFrame) -> pd.DataFrame:
    return _typed(pipeline.national_forecast(_as_weeks(forecast)))


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
