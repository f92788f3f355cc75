"""The one call behind every thin dbt Python model in python_models/mmm/."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .data import load_config
from .pipeline import run_marts

# column order and types of each output table (the contract the YAML documents)
BOOL_COLUMNS = {"is_preferred", "is_chosen", "is_current_spend", "is_at_lower_bound", "is_at_upper_bound"}


def output_table(table: str, design: pd.DataFrame, media: pd.DataFrame,
                 calibration: pd.DataFrame | None, config_path: str,
                 reallocation_usd=None, geo_design: pd.DataFrame | None = None,
                 retailer_sales: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fit (once per process: cached) and return one of the ``mmm`` tables, typed.

    ``calibration`` (experiments.experiment_calibration) gets the test markets of each
    experiment from ``geo_design`` (staging geo test design, assignment = 'test');
    ``retailer_sales`` (mmm_retailer_sales_weekly) adds the retailer rows."""
    cfg = load_config(Path(config_path))
    calibration = with_test_markets(calibration, geo_design)
    amount = float(reallocation_usd) if reallocation_usd not in (None, "") else None
    out = run_marts(design, media, cfg, calibration, amount, retailer_sales)[table].copy()
    for col in out.columns:
        if col in BOOL_COLUMNS:
            out[col] = out[col].astype(bool)
        elif out[col].dtype == object and col not in ("week_start",):
            vals = out[col].dropna()
            if len(vals) and all(isinstance(v, (int, float, np.floating, np.integer)) for v in vals):
                out[col] = out[col].astype(float)
            elif len(vals) == 0:
                out[col] = out[col].astype(float)
    if "week_start" in out.columns:
        out["week_start"] = pd.to_datetime(out["week_start"]).dt.date
    return out.reset_index(drop=True)


def with_test_markets(calibration: pd.DataFrame | None, geo_design: pd.DataFrame | None):
    """Add ``test_market_ids`` (';'-joined, sorted) to the calibration rows."""
    if calibration is None or len(calibration) == 0 or geo_design is None or len(geo_design) == 0:
        return calibration
    test = geo_design[geo_design["assignment"] == "test"]
    ids = test.groupby("experiment_id")["market_id"].agg(lambda s: ";".join(sorted(map(str, s))))
    out = calibration.copy()
    out["test_market_ids"] = out["experiment_id"].map(ids)
    return out
