"""forecast.forecast_backtest_metrics: see _forecast__models.yml and docs/forecast.md.

Thin: read the refs, call media_impact.forecast.dbt_entry, return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    return dbt_entry.backtest_metrics(dbt.ref("forecast_backtest_predictions").df())
