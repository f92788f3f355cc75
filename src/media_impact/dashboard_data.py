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

@dataclass(frozen=True)
class Curve:
    """One channel's response curve: increasing spend grid and incremental revenue on it."""

    spend: np.ndarray
    revenue: np.ndarray

    def __call__(self, x: float | np.ndarray) -> np.ndarray:
        """Incremental revenue at spend x, by linear interpolation (flat beyond the grid's end)."""
        return np.interp(x, self.spend, self.revenue)

    def marginal(self, x: float) -> float:
        """Slope of the interpolated curve just above x (USD of revenue per USD of spend)."""
        i = int(np.searchsorted(self.spend, x, side="right")) - 1
        i = min(max(i, 0), len(self.spend) - 2)
        ds = self.spend[i + 1] - self.spend[i]
        return float((self.revenue[i + 1] - self.revenue[i]) / ds) if ds > 0 else 0.0


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


def concave_envelope(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper concave hull of the points (x, y), x increasing (Andrew's monotone chain)."""
    hull: list[tuple[float, float]] = []
    for p in zip(x.tolist(), y.tolist()):
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            # drop the middle point if it lies on or below the chord from hull[-2] to p
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    hx, hy = zip(*hull)
    return np.array(hx), np.array(hy)


def optimise_budget(curves: dict[str, Curve], total_budget: float,
                    bounds: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Split ``total_budget`` across channels to maximise total incremental revenue.

    ``bounds`` maps channel -> (lower, upper) spend; by default (0, end of its grid).
    Returns one row per channel: channel_id, lower_usd, upper_usd, spend_usd,
    incremental_revenue_usd (on the stored curve), marginal_roi (slope of the
    envelope at the optimum) and at_bound ('lower', 'upper' or '').
    Raises ValueError if the budget cannot meet the bounds.
    """
    bounds = bounds or {}
    names = sorted(curves)
    lo = {c: float(bounds.get(c, (0.0, curves[c].spend[-1]))[0]) for c in names}
    hi = {c: float(bounds.get(c, (0.0, curves[c].spend[-1]))[1]) for c in names}
    for c in names:
        if not lo[c] <= hi[c]:
            raise ValueError(f"{c}: lower bound {lo[c]} above upper bound {hi[c]}")
    if total_budget < sum(lo.values()) - 1e-6 or total_budget > sum(hi.values()) + 1e-6:
        raise ValueError(f"budget {total_budget:,.0f} outside what the bounds allow "
                         f"[{sum(lo.values()):,.0f}, {sum(hi.values()):,.0f}]")

    # segments of each channel's concave envelope on [lo, hi]
    segments = []  # (slope, channel, length)
    env = {}
    for c in names:
        cv = curves[c]
        inner = cv.spend[(cv.spend > lo[c]) & (cv.spend < hi[c])]
        xs = np.unique(np.r_[lo[c], inner, hi[c]])
        hx, hy = concave_envelope(xs, cv(xs))
        env[c] = (hx, hy)
        for i in range(len(hx) - 1):
            length = hx[i + 1] - hx[i]
            if length > 0:
                segments.append(((hy[i + 1] - hy[i]) / length, c, length))
    # highest slope first; ties broken by channel name so the answer is deterministic
    segments.sort(key=lambda s: (-s[0], s[1]))

    spend = dict(lo)
    remaining = total_budget - sum(lo.values())
    last_slope = {c: None for c in names}
    for slope, c, length in segments:
        if remaining <= 1e-9:
            break
        take = min(length, remaining)
        spend[c] += take
        remaining -= take
        last_slope[c] = slope

    rows = []
    for c in names:
        hx, hy = env[c]
        x = spend[c]
        if last_slope[c] is not None:
            # slope of the last segment filled: the marginal ROI just below the optimum
            mroi = float(last_slope[c])
        else:
            # nothing above the lower bound: the marginal ROI of the first dollar more
            mroi = float((hy[1] - hy[0]) / (hx[1] - hx[0])) if len(hx) > 1 else 0.0
        at = "lower" if np.isclose(x, lo[c], atol=1e-6) else ("upper" if np.isclose(x, hi[c], atol=1e-6) else "")
        rows.append({
            "channel_id": c, "lower_usd": lo[c], "upper_usd": hi[c], "spend_usd": x,
            "incremental_revenue_usd": float(curves[c](x)), "marginal_roi": mroi, "at_bound": at,
        })
    return pd.DataFrame(rows)


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
