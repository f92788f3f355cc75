"""forecast.forecast_accuracy_over_time: see _forecast__models.yml and docs/forecast.md.

Thin: read the refs, call media_impact.forecast.dbt_entry, return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    predictions = dbt.ref("forecast_backtest_predictions").df()
    return dbt_entry.accuracy_over_time(predictions, dbt.config.get("forecast_horizon_weeks"))
