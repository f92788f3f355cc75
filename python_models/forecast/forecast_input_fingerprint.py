"""forecast.forecast_input_fingerprint: see _forecast__models.yml and docs/forecast.md.

One row: the fingerprint of the feature mart, the settings and the prediction code,
which keys forecast_prediction_cache.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    features = dbt.ref("forecast_features_weekly").df()
    return dbt_entry.input_fingerprint(features, dbt.config.get("forecast_horizon_weeks"))
