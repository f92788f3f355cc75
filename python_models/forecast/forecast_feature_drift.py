"""forecast.forecast_feature_drift: see _forecast__models.yml and docs/forecast.md.

Thin: read the refs, call media_impact.forecast.dbt_entry, return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    features = dbt.ref("forecast_features_weekly").df()
    return dbt_entry.feature_drift(features, dbt.config.get("forecast_horizon_weeks"))
