"""Data access and the budget optimiser behind the Streamlit dashboard.

Everything here is plain Python over pandas, so it is tested without Streamlit:
the dashboard (``dashboard/app.py``) only lays the results out.

The optimiser reallocates a total budget over the *stored* response curves
(``mmm.mmm_response_curves``: a spend grid per channel with the incremental
revenue the MMM predicts at each point), so the dashboard can rerun it for any
budget in milliseconds without refitting the model.

Problem, for channels c with curve R_c (incremental revenue at spend x_c)::

    maximise   sum_c R_c(x_c)
    subject to sum_c x_c = B,   lo_c <= x_c <= hi_c

Each R_c is replaced by its upper concave envelope over [lo_c, hi_c] (exact
for the concave curves of a Hill/logistic saturation with slope <= 1, and the
standard convexification for S-shaped ones), made of linear segments with
decreasing slopes (marginal ROI). Filling the segments in order of slope,
highest first, until the budget is spent, is then optimal (a greedy fill of a
separable concave problem), and at the optimum every channel strictly inside
its bounds has the same marginal ROI (the slope of the last segment filled),
up to the curve's grid resolution.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from media_impact.mmm.optimiser import Curve, concave_envelope, optimise_budget  # noqa: F401  (the one optimiser)

DEFAULT_DB = "media_impact.duckdb"


class DatabaseNotBuilt(RuntimeError):
    """The DuckDB file is missing, locked, or does not hold the tables yet."""


def db_path() -> Path:
    """The DuckDB file the dashboard reads: ``MEDIA_IMPACT_DB`` or ``media_impact.duckdb``."""
    return Path(os.environ.get("MEDIA_IMPACT_DB", DEFAULT_DB))


def connect(path: Path | str | None = None):
    """Open the DuckDB file read-only; raise DatabaseNotBuilt with a plain message if we cannot."""
    import duckdb

    path = Path(path) if path is not None else db_path()
    if not path.exists():
        raise DatabaseNotBuilt(
            f"No database at {path}. Build it first with `make build` "
            "(or `dbt build --profiles-dir profiles`), or point MEDIA_IMPACT_DB at a built file.")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:  # locked by a running build, or not a DuckDB file
        raise DatabaseNotBuilt(f"Cannot open {path} read-only: {exc}") from exc


def list_tables(con) -> set[str]:
    """``schema.table`` of every table and view in the database."""
    rows = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    return {f"{s}.{t}" for s, t in rows}


def read_table(con, relation: str, order_by: str | None = None) -> pd.DataFrame | None:
    """The whole of a (small, aggregated) table, or None if it does not exist."""
    if relation not in list_tables(con):
        return None
    schema, table = relation.split(".", 1)
    sql = f'select * from "{schema}"."{table}"'
    if order_by:
        sql += f" order by {order_by}"
    return con.execute(sql).df()


def require_built(con, needed: tuple[str, ...] = ("marts.fct_channel_spend_weekly",)) -> None:
    missing = [t for t in needed if t not in list_tables(con)]
    if missing:
        raise DatabaseNotBuilt(
            f"The database has not been built yet (missing {', '.join(missing)}). Run `make build`.")


# ----------------------------------------------------------------------------------------------
# Budget optimiser over stored response curves
# ----------------------------------------------------------------------------------------------

def curves_from_table(df: pd.DataFrame, key: str = "channel_id", spend_col: str = "spend_usd",
                      revenue_col: str = "incremental_revenue_usd") -> dict[str, Curve]:
    """Curves keyed by channel from a long table (one row per channel and grid point).

    A curve that does not start at zero spend gets the point (0, 0) added: no spend,
    no incremental revenue, by definition of incrementality.
    """
    out = {}
    for k, g in df.groupby(key, sort=True):
        g = g.groupby(spend_col, as_index=False)[revenue_col].mean().sort_values(spend_col)
        s = g[spend_col].to_numpy(float)
        r = g[revenue_col].to_numpy(float)
        if s[0] > 0:
            s, r = np.r_[0.0, s], np.r_[0.0, r]
        out[str(k)] = Curve(s, r)
    return out


def bounds_around(current_spend: dict[str, float], band: float = 0.5,
                  curves: dict[str, Curve] | None = None) -> dict[str, tuple[float, float]]:
    """Default bounds like the peers': +-``band`` around each channel's current spend,
    capped at the end of its stored curve (we do not extrapolate a curve)."""
    out = {}
    for c, s in current_spend.items():
        hi = s * (1 + band)
        if curves is not None and c in curves:
            hi = min(hi, float(curves[c].spend[-1]))
        out[c] = (min(s * (1 - band), hi), hi)
    return out


# ----------------------------------------------------------------------------------------------
# Data quality from dbt's run results
# ----------------------------------------------------------------------------------------------

def run_results_path() -> Path:
    """Latest dbt run results: ``DBT_TARGET_PATH`` (or ./target) / run_results.json."""
    return Path(os.environ.get("DBT_TARGET_PATH", "target")) / "run_results.json"


def load_run_results(path: Path | str | None = None) -> pd.DataFrame | None:
    """One row per node of the latest dbt invocation: kind, name, status, failures, seconds, message."""
    path = Path(path) if path is not None else run_results_path()
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    rows = []
    for r in data.get("results", []):
        uid = r["unique_id"]
        kind, _, rest = uid.partition(".")
        rows.append({
            "kind": kind,
            "name": rest.split(".", 1)[-1],
            "status": r.get("status"),
            "failures": r.get("failures"),
            "seconds": round(float(r.get("execution_time") or 0.0), 3),
            "message": r.get("message"),
        })
    df = pd.DataFrame(rows, columns=["kind", "name", "status", "failures", "seconds", "message"])
    df.attrs["generated_at"] = data.get("metadata", {}).get("generated_at")
    df.attrs["command"] = " ".join(data.get("args", {}).get("invocation_command", "").split()[:4])
    return df


def summarise_run_results(df: pd.DataFrame) -> pd.DataFrame:
    """Counts of nodes by kind and status (pass/warn/fail/error/success/skipped)."""
    return (df.groupby(["kind", "status"]).size().rename("nodes").reset_index()
              .sort_values(["kind", "status"]).reset_index(drop=True))
