"""forecast.forecast_prediction_cache: see _forecast__models.yml and docs/forecast.md.

Every fitted prediction (backtest and final forecast, every model), keyed by the input
fingerprint. Incremental: a build whose fingerprint is already stored rewrites those rows
(reuse_count + 1) and fits nothing; a new fingerprint adds its rows. A build from an
empty database, or --full-refresh, computes.
"""


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="input_fingerprint", on_schema_change="append_new_columns")
    from media_impact.forecast import dbt_entry

    key = dbt.ref("forecast_input_fingerprint").df()
    cached = None
    if dbt.is_incremental:
        cached = session.sql(f"select * from {dbt.this} where input_fingerprint = ?",
                             params=[key["input_fingerprint"].iloc[0]]).df()
    features = dbt.ref("forecast_features_weekly").df()
    return dbt_entry.prediction_cache(features, key, cached, dbt.config.get("forecast_horizon_weeks"))
