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
            "unique_id": uid,
            "kind": kind,
            "name": rest.split(".", 1)[-1],
            "status": r.get("status"),
            "failures": r.get("failures"),
            "seconds": round(float(r.get("execution_time") or 0.0), 3),
            "message": r.get("message"),
        })
    df = pd.DataFrame(rows, columns=["unique_id", "kind", "name", "status", "failures", "seconds", "message"])
    df.attrs["generated_at"] = data.get("metadata", {}).get("generated_at")
    df.attrs["command"] = " ".join(data.get("args", {}).get("invocation_command", "").split()[:4])
    return df


def summarise_run_results(df: pd.DataFrame) -> pd.DataFrame:
    """Counts of nodes by kind and status (pass/warn/fail/error/success/skipped)."""
    return (df.groupby(["kind", "status"]).size().rename("nodes").reset_index()
              .sort_values(["kind", "status"]).reset_index(drop=True))


def describe_tests(manifest: dict) -> pd.DataFrame:
    """A readable name for every data test of a dbt manifest: unique_id, test_type
    (``not_null``, ``accepted_range``, ... or ``singular``), model, column and the
    test's arguments, in place of the hashed node name dbt gives long test names."""
    rows = []
    for uid, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "test":
            continue
        meta = node.get("test_metadata") or {}
        kwargs = dict(meta.get("kwargs") or {})
        kwargs.pop("model", None)
        column = node.get("column_name") or kwargs.pop("column_name", None)
        kwargs.pop("column_name", None)
        if column is None and "combination_of_columns" in kwargs:
            column = ", ".join(kwargs.pop("combination_of_columns"))
        parent = node.get("attached_node") or next(iter(node.get("depends_on", {}).get("nodes", [])), "")
        rows.append({
            "unique_id": uid,
            "test_type": meta.get("name") or "singular",
            "model": parent.rsplit(".", 1)[-1] if meta else node.get("name", ""),
            "column": column or "",
            "arguments": ", ".join(f"{k}={v}" for k, v in sorted(kwargs.items())),
        })
    return pd.DataFrame(rows, columns=["unique_id", "test_type", "model", "column", "arguments"])


def readable_run_results(results: pd.DataFrame, manifest_path: Path | str | None = None) -> pd.DataFrame:
    """Run results with each test's type, model and column from the manifest beside them
    (``manifest.json`` of the same target folder); tests the manifest does not know keep
    their node name as the model and an empty type."""
    path = Path(manifest_path) if manifest_path is not None else run_results_path().with_name("manifest.json")
    out = results.copy()
    described = describe_tests(json.loads(path.read_text())) if path.exists() else describe_tests({})
    out = out.merge(described, on="unique_id", how="left")
    missing = out["test_type"].isna()
    out.loc[missing, "test_type"] = ""
    out.loc[missing, "model"] = out.loc[missing, "name"]
    out[["column", "arguments"]] = out[["column", "arguments"]].fillna("")
    out.attrs = dict(results.attrs)  # the run's time and command (a merge drops them)
    return out


# ----------------------------------------------------------------------------------------------
# MMM views: windows, lenses per country, fit, decomposition, scenarios (pandas over mmm.*)
# ----------------------------------------------------------------------------------------------

# the default of var('credit_flag_tolerance') in models/marts/reporting/channel_lenses.sql
CREDIT_FLAG_TOLERANCE = 0.25


def blended_roi(df: pd.DataFrame, spend_col: str = "spend_usd",
                revenue_col: str = "incremental_revenue_usd") -> dict[str, float]:
    """Total spend, incremental revenue and blended ROI = sum R / sum S over the rows.

    With the per-channel interval columns (``<revenue_col>`` with ``_usd`` replaced by
    ``_lower_90_usd``/``_upper_90_usd``) the revenue band adds the channels' bounds, and
    the ROI band is that over the spend: a conservative band (exact only if every
    channel's error moves together), because the tables hold no joint draws. NaN when
    the table carries no interval.
    """
    lo_col = revenue_col.replace("_usd", "_lower_90_usd")
    hi_col = revenue_col.replace("_usd", "_upper_90_usd")
    spend = float(df[spend_col].sum())
    revenue = float(df[revenue_col].sum())
    out = {"spend_usd": spend, "incremental_revenue_usd": revenue,
           "roi": revenue / spend if spend else float("nan"),
           "incremental_revenue_lower_90_usd": float("nan"), "incremental_revenue_upper_90_usd": float("nan"),
           "roi_lower_90": float("nan"), "roi_upper_90": float("nan")}
    if {lo_col, hi_col} <= set(df.columns) and len(df) and df[[lo_col, hi_col]].notna().all().all():
        lo, hi = float(df[lo_col].sum()), float(df[hi_col].sum())
        out.update(incremental_revenue_lower_90_usd=lo, incremental_revenue_upper_90_usd=hi,
                   roi_lower_90=lo / spend if spend else float("nan"),
                   roi_upper_90=hi / spend if spend else float("nan"))
    return out


def weeks_covered(df: pd.DataFrame, week_col: str = "week_start") -> dict:
    """First and last week and the number of distinct weeks of a weekly table."""
    weeks = pd.to_datetime(df[week_col]).drop_duplicates()
    return {"first_week": weeks.min().date(), "last_week": weeks.max().date(), "n_weeks": int(len(weeks))}


def current_spend_points(curves: pd.DataFrame) -> pd.DataFrame:
    """Each channel's point of today's spend on its response curve (``is_current_spend``:
    the planning window's actual spend, m = 1); empty when the table has no such flag."""
    if "is_current_spend" not in curves.columns:
        return curves.iloc[0:0]
    return curves[curves["is_current_spend"].astype(bool)].sort_values("channel_id").reset_index(drop=True)


def has_values(df: pd.DataFrame, *columns: str) -> bool:
    """True when every named column exists and holds at least one value (interval columns are
    null when a run's intervals do not cover that table)."""
    return all(c in df.columns and df[c].notna().any() for c in columns)


def country_lenses(lenses: pd.DataFrame, spend: pd.DataFrame, roi: pd.DataFrame,
                   experiments: pd.DataFrame | None = None,
                   tolerance: float = CREDIT_FLAG_TOLERANCE) -> pd.DataFrame:
    """The lenses of ``marts.channel_lenses`` for one country.

    ``spend``: the country's spend per channel (channel_id, spend_usd); ``roi``: the
    preferred MMM fit's rows for the country (``mmm.mmm_channel_roi``); ``experiments``:
    the country's ``experiments.experiment_results`` rows. Spend, the MMM's incremental
    revenue, its share (of the positive total, as in the mart) and ROI, and the latest
    TBR experiment are the country's; last-touch, Markov and Shapley credit stay the
    mart's, because clean-room journeys carry no country. The flag repeats the mart's
    rule on the country's MMM share: over-credited when last touch > (1 + tolerance) x
    the incremental share, under-credited when last touch x (1 + tolerance) < it.
    Channels without spend in the country are left out.
    """
    keep = [c for c in ("channel_id", "channel_name", "channel_group", "last_touch_credit_share",
                        "markov_credit_share", "shapley_credit_share") if c in lenses.columns]
    out = lenses[keep].merge(spend[["channel_id", "spend_usd"]], on="channel_id", how="inner")
    out = out[out["spend_usd"] > 0]
    out["spend_share"] = out["spend_usd"] / out["spend_usd"].sum()
    mmm = roi.set_index("channel_id")
    inc = mmm["incremental_revenue_usd"].reindex(out["channel_id"]).to_numpy(float)
    out["mmm_incremental_revenue_usd"] = inc
    positive = np.nansum(np.clip(inc, 0, None))
    out["mmm_incremental_revenue_share"] = np.clip(inc, 0, None) / positive if positive else np.nan
    for col, src in (("mmm_roi", "roi"), ("mmm_roi_lower_90", "roi_lower_90"), ("mmm_roi_upper_90", "roi_upper_90")):
        out[col] = mmm[src].reindex(out["channel_id"]).to_numpy(float) if src in mmm.columns else np.nan
    out["experiment_iroas"] = np.nan
    out["experiment_iroas_lower_90"] = np.nan
    out["experiment_iroas_upper_90"] = np.nan
    if experiments is not None and len(experiments):
        exp = experiments[experiments["method"] == "tbr"] if "method" in experiments.columns else experiments
        exp = exp.sort_values(["test_end_date", "experiment_id"], ascending=[False, True]).drop_duplicates("channel_id")
        exp = exp.set_index("channel_id")
        for col, src in (("experiment_iroas", "iroas"), ("experiment_iroas_lower_90", "iroas_lower"),
                         ("experiment_iroas_upper_90", "iroas_upper")):
            if src in exp.columns:
                out[col] = exp[src].reindex(out["channel_id"]).to_numpy(float)
    incremental = out["mmm_incremental_revenue_share"]
    if "markov_credit_share" in out.columns:  # the mart's fallback where the MMM has no estimate
        incremental = incremental.fillna(out["markov_credit_share"])
    out["incremental_credit_share"] = incremental
    last = out["last_touch_credit_share"]
    out["last_touch_credit_flag"] = np.select(
        [incremental.isna(), last > (1 + tolerance) * incremental, last * (1 + tolerance) < incremental],
        ["unknown", "over_credited", "under_credited"], default="in_line")
    return out.sort_values("incremental_credit_share", ascending=False).reset_index(drop=True)


def actual_vs_fitted(decomposition: pd.DataFrame) -> pd.DataFrame:
    """One row per week of one fit: actual and fitted revenue (each repeated on every
    component row of ``mmm.mmm_decomposition_weekly``) and the residual actual - fitted."""
    weekly = (decomposition.groupby("week_start", as_index=False)
              .agg(actual_revenue_usd=("actual_revenue_usd", "first"),
                   fitted_revenue_usd=("fitted_revenue_usd", "first"))
              .sort_values("week_start").reset_index(drop=True))
    weekly["residual_usd"] = weekly["actual_revenue_usd"] - weekly["fitted_revenue_usd"]
    return weekly


def fit_diagnostics(weekly: pd.DataFrame) -> dict[str, float]:
    """Fit metrics of a weekly actual-vs-fitted frame (``actual_vs_fitted``), in the MMM's
    definitions (docs/mmm.md):

    * r2 = 1 - SSR / SST;  mape = mean |e_t| / y_t;  nrmse = RMSE / (max y - min y)
    * residual_lag1_autocorrelation = sum e_t e_{t-1} / sum e_t^2 (0 for independent weeks)
    * durbin_watson = sum (e_t - e_{t-1})^2 / sum e_t^2 (about 2 for independent weeks,
      towards 0 when residuals drift together)
    * largest_residual_share = max |e_t| / y_t, at largest_residual_week.
    """
    y = weekly["actual_revenue_usd"].to_numpy(float)
    e = weekly["residual_usd"].to_numpy(float)
    sse = float(np.sum(e ** 2))
    rel = np.abs(e) / np.abs(y)
    worst = int(np.argmax(rel))
    return {
        "r2": 1.0 - sse / float(np.sum((y - y.mean()) ** 2)),
        "mape": float(rel.mean()),
        "nrmse": float(np.sqrt(sse / len(y)) / (y.max() - y.min())),
        "residual_lag1_autocorrelation": float(np.sum(e[1:] * e[:-1]) / sse) if sse else 0.0,
        "durbin_watson": float(np.sum(np.diff(e) ** 2) / sse) if sse else float("nan"),
        "largest_residual_share": float(rel[worst]),
        "largest_residual_week": weekly["week_start"].iloc[worst],
    }


def decomposition_over_time(decomposition: pd.DataFrame) -> pd.DataFrame:
    """Weekly contribution of one fit in reader's groups: 'base', 'controls' (trend, season,
    holidays, macro indicators, together) and each media channel by name. The groups of a
    week add up to its fitted revenue."""
    d = decomposition.copy()
    d["component_group"] = np.where(d["component_type"] == "media", d["component"],
                                    np.where(d["component_type"] == "base", "base", "controls"))
    return (d.groupby(["week_start", "component_group"], as_index=False)["contribution_usd"].sum()
              .sort_values(["week_start", "component_group"]).reset_index(drop=True))


def sampler_diagnostics(run: pd.Series) -> dict[str, float]:
    """The sampler's convergence figures a run row carries (columns naming R-hat, effective
    sample size, divergences or acceptance); empty when the run has none (Laplace or
    bootstrap intervals draw no chains)."""
    pattern = ("rhat", "r_hat", "ess", "effective_sample", "divergen", "acceptance")
    return {k: v for k, v in run.items() if any(p in str(k).lower() for p in pattern) and pd.notna(v)}


def scenario_summary(scenarios: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario of one fit: its name, spend now and in the scenario, the spend
    moved (sum of the increases), incremental revenue now and in the scenario, the gain
    (``scenario_gain_usd``, else the revenue difference) with its 90% interval when the
    table has one, and the note."""
    rows = []
    for sid, g in scenarios.groupby("scenario_id", sort=False):
        change = g["spend_usd"] - g["current_spend_usd"]
        gain = (float(g["scenario_gain_usd"].iloc[0]) if "scenario_gain_usd" in g.columns
                else float(g["incremental_revenue_usd"].sum() - g["current_incremental_revenue_usd"].sum()))
        rows.append({
            "scenario_id": sid,
            "scenario_name": g["scenario_name"].iloc[0] if "scenario_name" in g.columns else sid,
            "current_spend_usd": float(g["current_spend_usd"].sum()),
            "spend_usd": float(g["spend_usd"].sum()),
            "spend_moved_usd": float(change.clip(lower=0).sum()),
            "current_incremental_revenue_usd": float(g["current_incremental_revenue_usd"].sum()),
            "incremental_revenue_usd": float(g["incremental_revenue_usd"].sum()),
            "scenario_gain_usd": gain,
            "scenario_gain_lower_90_usd": float(g["scenario_gain_lower_90_usd"].iloc[0])
            if "scenario_gain_lower_90_usd" in g.columns else float("nan"),
            "scenario_gain_upper_90_usd": float(g["scenario_gain_upper_90_usd"].iloc[0])
            if "scenario_gain_upper_90_usd" in g.columns else float("nan"),
            "note": g["note"].iloc[0] if "note" in g.columns else "",
        })
    return pd.DataFrame(rows)
