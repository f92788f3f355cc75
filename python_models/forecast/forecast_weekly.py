"""forecast.forecast_weekly: see _forecast__models.yml and docs/forecast.md.

Thin: the cache's final forecasts of the current fingerprint, each series' chosen model,
stocking quantities (media_impact.forecast.dbt_entry). Nothing is fitted here.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    key = dbt.ref("forecast_input_fingerprint").df()["input_fingerprint"].iloc[0]
    final = dbt.ref("forecast_prediction_cache").filter(
        f"input_fingerprint = '{key}' and prediction_kind = 'forecast'").df()
    choice = dbt.ref("forecast_model_choice").df()
    series_costs = dbt.ref("forecast_series_costs").df()
    return dbt_entry.forecast_weekly(final, choice, series_costs, dbt.config.get("forecast_horizon_weeks"))
