"""forecast.forecast_runs: see _forecast__models.yml and docs/forecast.md.

Run registry: one row per forecast run. Incremental, so earlier runs stay;
a rebuild of the same inputs and settings (same run_id) replaces its row.
"""


def model(dbt, session):
    # new columns join an older registry (earlier rows keep null there)
    dbt.config(materialized="incremental", unique_key="run_id", on_schema_change="append_new_columns")
    from media_impact.forecast import dbt_entry

    return dbt_entry.forecast_run(
        dbt.ref("forecast_features_weekly").df(),
        dbt.ref("forecast_backtest_metrics").df(),
        dbt.ref("forecast_model_choice").df(),
        dbt.ref("forecast_backtest_cost").df(),
        dbt.ref("forecast_feature_drift").df(),
        dbt.ref("forecast_accuracy_over_time").df(),
        dbt.ref("forecast_weekly").df(),
        dbt.config.get("forecast_horizon_weeks"),
    )
