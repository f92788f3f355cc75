"""The calls behind the thin dbt Python models in python_models/mmm/: ``mmm_fit`` fits
and persists (:func:`fit_bundle`), the output tables read it (:func:`output_table`)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .data import load_config
from .pipeline import TABLES, run_marts

# column order and types of each output table (the contract the YAML documents)
TIMING = ("fit_seconds", "fit_cpu_seconds")      # the only columns that differ between identical builds
BOOL_COLUMNS = {"is_preferred", "is_chosen", "is_current_spend", "is_at_lower_bound", "is_at_upper_bound"}


def fit_bundle(design: pd.DataFrame, media: pd.DataFrame, calibration: pd.DataFrame | None,
               config_path: str, reallocation_usd=None, geo_design: pd.DataFrame | None = None,
               retailer_sales: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fit once and persist every ``mmm`` output table as rows of one table
    (``mmm_fit``): ``table_name``, ``row_number`` (-1 holds the column list) and
    ``row_json`` (the row, floats written by ``repr`` so they read back bit for bit).

    The other dbt models read it through ``ref('mmm_fit')`` (:func:`output_table`), so
    one fit serves them all on any adapter, including those that run each Python model
    in its own process (Snowpark); there is no process-level cache.

    ``calibration`` (experiments.experiment_calibration) gets the test markets of each
    experiment from ``geo_design`` (staging geo test design, assignment = 'test');
    ``retailer_sales`` (mmm_retailer_sales_weekly) adds the retailer rows."""
    cfg = load_config(Path(config_path))
    calibration = with_test_markets(calibration, geo_design)
    amount = float(reallocation_usd) if reallocation_usd not in (None, "") else None
    out = run_marts(design, media, cfg, calibration, amount, retailer_sales)
    rows = []
    for table in TABLES:
        df = out[table]
        rows.append({"table_name": table, "row_number": -1, "row_json": json.dumps(list(map(str, df.columns))),
                     **{c: None for c in TIMING}})
        for i, rec in enumerate(df.to_dict("records")):
            # timings in their own columns, so the JSON of two builds of the same inputs is identical
            timing = {c: rec.pop(c, None) for c in TIMING}
            rows.append({"table_name": table, "row_number": i, "row_json": json.dumps(rec, default=_jsonable),
                         **timing})
    return pd.DataFrame(rows).astype({c: float for c in TIMING})


def _jsonable(v):
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    return str(v)      # dates


def output_table(table: str, bundle: pd.DataFrame) -> pd.DataFrame:
    """One of the ``mmm`` tables from the persisted fit (:func:`fit_bundle`), typed."""
    part = bundle[bundle["table_name"] == table].sort_values("row_number")
    cols = json.loads(part[part["row_number"] == -1]["row_json"].iloc[0])
    body = part[part["row_number"] >= 0]
    recs = [json.loads(r) for r in body["row_json"]]
    for rec, (_, row) in zip(recs, body.iterrows()):
        rec.update({c: row[c] for c in TIMING if c in cols})
    return typed(pd.DataFrame.from_records(recs, columns=cols))


def typed(out: pd.DataFrame) -> pd.DataFrame:
    out = out.copy()
    for col in out.columns:
        if col in BOOL_COLUMNS:
            out[col] = out[col].astype(bool)
        elif out[col].dtype == object and col not in ("week_start",):
            vals = out[col].dropna()
            if len(vals) and all(isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)
                                 for v in vals):
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
