"""Model health: feature drift (PSI) and accuracy over time.

Population stability index of a feature between a reference sample (the
training window) and a recent sample (the latest weeks), over bins cut at the
reference deciles:
    PSI = sum_b (r_b - e_b) * ln(r_b / e_b)
with e_b, r_b the reference and recent shares in bin b (floored at 1e-4 so an
empty bin stays finite). Rule of thumb: < 0.1 stable, 0.1-0.25 moderate,
> 0.25 a significant shift.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from media_impact.forecast.metrics import add_errors

EPS = 1e-4


def psi(reference: np.ndarray, recent: np.ndarray, bins: int = 10) -> float:
    """PSI of `recent` against `reference` (NaNs dropped) on the reference's quantile bins."""
    reference = np.asarray(reference, dtype=float)
    recent = np.asarray(recent, dtype=float)
    reference = reference[~np.isnan(reference)]
    recent = recent[~np.isnan(recent)]
    if len(reference) == 0 or len(recent) == 0:
        return float("nan")
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1) / len(reference)
    r = np.bincount(np.searchsorted(edges, recent, side="right"), minlength=len(edges) + 1) / len(recent)
    e, r = np.maximum(e, EPS), np.maximum(r, EPS)
    return float(np.sum((r - e) * np.log(r / e)))


def feature_drift(panel: pd.DataFrame, last_week: pd.Timestamp, window_weeks: int, bins: int, warn: float,
                  exclude: list[str] | None = None) -> pd.DataFrame:
    """PSI per numeric feature between the training window (weeks before the latest
    `window_weeks`) and the latest `window_weeks` actual weeks, pooled over series."""
    start_recent = last_week - pd.Timedelta(weeks=window_weeks - 1)
    actual = panel.loc[panel["units"].notna() & (panel["week_start"] <= last_week)]
    reference = actual.loc[actual["week_start"] < start_recent]
    recent = actual.loc[actual["week_start"] >= start_recent]
    skip = {"week_start", "series_id", "market_id", "retailer_id", "country_id", *(exclude or [])}
    rows = []
    for col in [c for c in panel.columns if c not in skip and pd.api.types.is_numeric_dtype(panel[c])]:
        value = psi(reference[col].to_numpy(), recent[col].to_numpy(), bins)
        if np.isnan(value):
            continue
        rows.append({
            "feature_name": col,
            "psi": value,
            "is_drifted": bool(value > warn),
            "psi_warn_threshold": warn,
            "reference_start_week": reference["week_start"].min(),
            "reference_end_week": reference["week_start"].max(),
            "recent_start_week": recent["week_start"].min(),
            "recent_end_week": recent["week_start"].max(),
            "reference_rows": int(reference[col].notna().sum()),
            "recent_rows": int(recent[col].notna().sum()),
        })
    return pd.DataFrame(rows)


def accuracy_over_time(pred: pd.DataFrame, scale: pd.Series, drop_ratio: float) -> pd.DataFrame:
    """Per model and backtest origin (each origin's horizon window): WAPE, MASE, coverage, and
    whether WAPE exceeds `drop_ratio` times the mean WAPE of the earlier origins."""
    errors = add_errors(pred.loc[pred["level"] == "series"], scale)
    errors["scaled_abs_error"] = errors["abs_error"] / errors["scale"]
    g = errors.groupby(["model", "origin_week"], sort=True)
    out = pd.DataFrame({
        "window_start_week": g["week_start"].min(),
        "window_end_week": g["week_start"].max(),
        "n_forecasts": g.size(),
        "wape": g["abs_error"].sum() / g["units"].sum(),
        "mase": g["scaled_abs_error"].mean(),
        "coverage_80": g["covered"].mean(),
    }).reset_index()
    prior = out.groupby("model")["wape"].transform(lambda s: s.expanding().mean().shift(1))
    out["wape_prior_mean"] = prior
    out["wape_ratio_to_prior"] = out["wape"] / prior
    out["is_accuracy_drop"] = (out["wape_ratio_to_prior"] > drop_ratio).fillna(False).astype(bool)
    out["accuracy_drop_ratio_warn"] = drop_ratio
    return out
