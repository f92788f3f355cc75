"""forecast.forecast_backtest_cost: see _forecast__models.yml and docs/forecast.md.

Thin: read the refs, call media_impact.forecast.dbt_entry, return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    predictions = dbt.ref("forecast_backtest_predictions").df()
    choice = dbt.ref("forecast_model_choice").df()
    series_costs = dbt.ref("forecast_series_costs").df()
    return dbt_entry.backtest_cost(predictions, choice, series_costs, dbt.config.get("forecast_horizon_weeks"))
