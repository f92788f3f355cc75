"""Demand forecasts by market and retailer with quantiles, their money cost, and model health.

Entry points:
- `pipeline.run_forecasting(features, series_costs, config)`: backtest, model choice,
  final forecasts, stocking quantities and health tables in one call;
- the stage functions it calls (`pipeline.predictions`, `pipeline.backtest_metrics`,
  `pipeline.choose_forecasts`, ...), which the dbt Python models in
  `python_models/forecast/` call one at a time through `dbt_entry`;
- `python -m media_impact.forecast fit --config ...`: bring your own data (`__main__`).
"""
from media_impact.forecast.config import load_config

__all__ = ["load_config"]
