"""Read the MMM inputs and outputs of a built DuckDB file (the shared ``built_db``)."""
from __future__ import annotations

import duckdb
import pandas as pd

MMM_TABLES = ("mmm_model_runs", "mmm_candidates", "mmm_channel_parameters", "mmm_decomposition_weekly",
              "mmm_channel_roi", "mmm_response_curves", "mmm_budget_allocation", "mmm_scenarios")
# columns that measure time, not results: excluded from bit-for-bit comparisons
TIMING_COLUMNS = {"fit_seconds", "fit_cpu_seconds"}


def read(db, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).df()
    finally:
        con.close()


def mmm_inputs(db) -> dict:
    """The five tables the dbt MMM models read (marts, calibration, geo design)."""
    return {
        "design": read(db, "select * from marts.mmm_design_weekly"),
        "media": read(db, "select * from marts.mmm_media_weekly"),
        "retailer_sales": read(db, "select * from marts.mmm_retailer_sales_weekly"),
        "calibration": read(db, "select * from experiments.experiment_calibration"),
        "geo_design": read(db, "select * from staging.stg_experiments__geo_test_design"),
    }
