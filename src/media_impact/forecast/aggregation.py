"""Country totals of series forecasts, with intervals as wide as the series errors move together.

A country's P50 is the sum of its series' P50s. Its P10/P90 half-width is not the sum of
the series' half-widths (that assumes every series errs the same way at once) nor their
root sum of squares (that assumes they err independently: on the sample world the US
total's 80% interval then covered 38% of backtest weeks, because a demand shock moves
every market and retailer together). For a country of series with half-widths ``w_i``:

    w = sqrt(R * sum_i w_i^2),  capped at sum_i w_i

with ``R`` the ratio, over earlier out-of-sample forecast weeks (cells: origin x week),
of the squared error of the country total to the sum of the series' squared errors:

    R = sum_cells (sum_i u_i)^2 / sum_cells sum_i u_i^2      (at least 1)

``u`` is a series' error against the midpoint of its outermost uncalibrated quantiles.
With equal variances and one correlation ``rho`` between series, ``R = 1 + rho (n - 1)``,
so the formula is the variance of a sum of equicorrelated errors, with ``rho`` read
from the forecasts' own past errors (US sample world: R 10-21 for 36 series). The cap is
the comonotone sum. No history of errors: ``R = 1`` (independent series).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ERROR_COLUMNS = ["country_id", "origin_week", "week_start", "u"]


def midpoint_errors(frame: pd.DataFrame, lowest: np.ndarray, highest: np.ndarray) -> pd.DataFrame:
    """``country_id, origin_week, week_start, u`` of the rows of `frame` with actuals (`units`),
    ``u = units - (lowest + highest) / 2``."""
    y = frame["units"].to_numpy(dtype=float)
    known = ~np.isnan(y)
    out = frame.loc[known, ERROR_COLUMNS[:3]].reset_index(drop=True)
    out["u"] = (y - (np.asarray(lowest, float) + np.asarray(highest, float)) / 2)[known]
    return out


def correlation_factor(errors: pd.DataFrame | None) -> dict:
    """country_id -> ``R`` (see module doc) from `errors` (:func:`midpoint_errors` rows)."""
    if errors is None or not len(errors) or "u" not in errors.columns:
        return {}
    e = errors.dropna(subset=["u"])
    cell = e.groupby(["country_id", "origin_week", "week_start"])["u"]
    total_sq = (cell.sum() ** 2).groupby(level="country_id").sum()
    sum_sq = (e["u"] ** 2).groupby(e["country_id"]).sum()
    ratio = (total_sq / sum_sq.where(sum_sq > 0)).fillna(1.0)
    return {c: float(max(r, 1.0)) for c, r in ratio.items()}


def sum_quantiles(frame: pd.DataFrame, keys: list[str], sums: list[str], factor: dict | None = None) -> pd.DataFrame:
    """Group totals: P50 and the `sums` columns added; P10/P90 half-widths
    ``sqrt(R sum w^2)`` capped at ``sum w`` with ``R`` = ``factor[country_id]`` (1 when absent)."""
    f = frame.assign(lo=frame["p50"] - frame["p10"], hi=frame["p90"] - frame["p50"])
    f = f.assign(lo2=f["lo"] ** 2, hi2=f["hi"] ** 2)
    agg = {"p50": ("p50", "sum"), "lo": ("lo", "sum"), "hi": ("hi", "sum"), "lo2": ("lo2", "sum"),
           "hi2": ("hi2", "sum"), **{c: (c, "sum") for c in sums}}
    out = f.groupby(keys, sort=True).agg(**agg).reset_index()
    r = out["country_id"].map(factor or {}).fillna(1.0).to_numpy() if "country_id" in out else 1.0
    out["p10"] = np.clip(out["p50"] - np.minimum(np.sqrt(r * out["lo2"]), out["lo"]), 0, None)
    out["p90"] = out["p50"] + np.minimum(np.sqrt(r * out["hi2"]), out["hi"])
    return out.drop(columns=["lo", "hi", "lo2", "hi2"])
