"""The calls behind the thin dbt Python models in python_models/mmm/: ``mmm_fit`` fits
and persists (:func:`fit_bundle`), the output tables read it (:func:`output_table`)."""
from __future__ import annotations

import hashlib
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
               retailer_sales: pd.DataFrame | None = None, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Fit once and persist every ``mmm`` output table as rows of one table
    (``mmm_fit``): ``table_name``, ``row_number`` (-1 holds the column list) and
    ``row_json`` (the row, floats written by ``repr`` so they read back bit for bit).

    The other dbt models read it through ``ref('mmm_fit')`` (:func:`output_table`), so
    one fit serves them all on any adapter, including those that run each Python model
    in its own process (Snowpark); there is no process-level cache.

    ``calibration`` (experiments.experiment_calibration) gets the test markets of each
    experiment from ``geo_design`` (staging geo test design, assignment = 'test');
    ``retailer_sales`` (mmm_retailer_sales_weekly) adds the retailer rows.

    ``previous`` (the rows the last build persisted) is returned as it is, marked
    ``fit_status = 'reused'``, when its ``input_fingerprint`` equals this build's: the
    fit is deterministic, so a rebuild with no new data, no config change and no code
    change need not refit (:func:`input_fingerprint`)."""
    fingerprint = input_fingerprint([design, media, calibration, geo_design, retailer_sales],
                                    config_path, reallocation_usd)
    if (previous is not None and len(previous) and "input_fingerprint" in previous.columns
            and (previous["input_fingerprint"] == fingerprint).all()):
        return previous.assign(fit_status="reused")[list(previous.columns.drop("fit_status", errors="ignore"))
                                                    + ["fit_status"]]
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
    return pd.DataFrame(rows).astype({c: float for c in TIMING}).assign(input_fingerprint=fingerprint,
                                                                       fit_status="fitted")


def previous_rows(session, relation: str) -> pd.DataFrame | None:
    """The rows ``relation`` (this model's table from the last build) holds, or ``None``
    when there is none yet (a build from an empty database). ``session`` is the adapter's
    (DuckDB connection: ``.df()``; Snowpark: ``.to_pandas()``)."""
    try:
        rel = session.sql(f"select * from {relation}")
        return rel.df() if hasattr(rel, "df") else rel.to_pandas()
    except Exception:      # no such table yet: the adapters raise their own catalog errors
        return None


def input_fingerprint(frames: list, config_path: str, reallocation_usd=None) -> str:
    """SHA-256 of everything the fit depends on: the input tables (values, after
    :func:`pipeline.to_grid`, rows in a fixed order), the config file's text, the
    reallocation amount and the source of this package's ``mmm`` modules (a code change
    refits)."""
    from .pipeline import to_grid

    h = hashlib.sha256()
    for df in frames:
        if df is None or not len(df):
            h.update(b"<none>")
            continue
        g = to_grid(df)
        g = g[sorted(g.columns)].sort_values(sorted(g.columns)).reset_index(drop=True)
        h.update(g.to_csv(index=False).encode())
    h.update(Path(config_path).read_bytes())
    h.update(repr(reallocation_usd).encode())
    for src in sorted(Path(__file__).parent.glob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()[:32]


def _jsonable(v):
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    return str(v)      # dates


def output_table(table: str, bundle: pd.DataFrame) -> pd.DataFrame:
    """One of the ``mmm`` tables from the persisted fit (:func:`fit_bundle`), typed."""
    part = bundle[bundle["table_name"] == table].sort_values("row_number")
    status = str(part["fit_status"].iloc[0]) if "fit_status" in part.columns and len(part) else None
    cols = json.loads(part[part["row_number"] == -1]["row_json"].iloc[0])
    body = part[part["row_number"] >= 0]
    recs = [json.loads(r) for r in body["row_json"]]
    for rec, (_, row) in zip(recs, body.iterrows()):
        rec.update({c: row[c] for c in TIMING if c in cols})
    out = typed(pd.DataFrame.from_records(recs, columns=cols))
    if table == "model_runs" and status is not None:
        out["fit_status"] = status          # the run registry says whether this build refitted
    return out


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
