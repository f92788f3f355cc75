"""Demand forecasts by market and retailer with quantiles, their money cost, and model health.

Entry points:
- `pipeline.run_forecasting(features, series_costs, config)`: backtest, model choice,
  final forecasts, stocking quantities and health tables in one call;
- the stage functions it calls (`backtest.run_backtest`, `pipeline.forecast_future`, ...),
  which the dbt Python models in `python_models/forecast/` call one at a time.
"""
from media_impact.forecast.config import load_config

__all__ = ["load_config"]
