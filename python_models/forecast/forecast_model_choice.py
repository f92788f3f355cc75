"""forecast.forecast_model_choice: see _forecast__models.yml and docs/forecast.md.

Thin: read the refs, call media_impact.forecast.dbt_entry, return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    return dbt_entry.model_choice(dbt.ref("forecast_backtest_metrics").df())
