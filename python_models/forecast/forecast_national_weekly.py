"""forecast.forecast_national_weekly: see _forecast__models.yml and docs/forecast.md.

Thin: read the refs, call media_impact.forecast.dbt_entry, return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    # the backtest's errors say how much the series err together (the total's interval width)
    return dbt_entry.national_weekly(dbt.ref("forecast_weekly").df(), dbt.ref("forecast_backtest_predictions").df(),
                                     dbt.config.get("forecast_horizon_weeks"))
