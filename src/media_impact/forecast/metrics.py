"""Forecast accuracy metrics over backtest predictions.

For actuals y_i, forecasts f_i (the P50) and a series scale s (mean absolute
52-week seasonal difference before the first backtest origin):
    MASE     = mean|y_i - f_i| / s
    WAPE     = sum|y_i - f_i| / sum y_i
    bias     = sum(f_i - y_i) / sum y_i            (> 0: over-forecast)
    pinball  = mean over tau in {0.1, 0.5, 0.9} of mean rho_tau(y_i - q_tau,i),
               rho_tau(u) = max(tau u, (tau - 1) u)     (units; `scaled_pinball` divides by s)
    coverage_80 = share of y_i with P10 <= y_i <= P90
Overall rows average MASE and scaled pinball over series (each series counts
once) and pool WAPE, bias and coverage over all rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

QUANTILE_COLUMNS = {0.1: "p10", 0.5: "p50", 0.9: "p90"}


def pinball(y: np.ndarray, q: np.ndarray, tau: float) -> np.ndarray:
    """rho_tau(y - q) elementwise."""
    u = y - q
    return np.maximum(tau * u, (tau - 1.0) * u)


def add_errors(pred: pd.DataFrame, scale: pd.Series) -> pd.DataFrame:
    """Row-level error columns (abs_error, error, pinball, covered, scale) for rows with actuals."""
    out = pred.loc[pred["units"].notna()].copy()
    y = out["units"].to_numpy()
    out["error"] = out["p50"] - y
    out["abs_error"] = np.abs(out["error"])
    out["pinball"] = np.mean([pinball(y, out[c].to_numpy(), tau) for tau, c in QUANTILE_COLUMNS.items()], axis=0)
    out["covered"] = ((out["p10"] <= y) & (y <= out["p90"])).astype(float)
    out["scale"] = out["series_id"].map(scale).to_numpy()
    return out


def summarize(errors: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """MASE, WAPE, bias, pinball, coverage per group of `by` (rows from `add_errors`)."""
    g = errors.groupby(by, sort=True)
    out = pd.DataFrame({
        "n_forecasts": g.size(),
        "mase": g["abs_error"].mean() / g["scale"].first(),
        "wape": g["abs_error"].sum() / g["units"].sum(),
        "bias": g["error"].sum() / g["units"].sum(),
        "pinball_loss": g["pinball"].mean(),
        "scaled_pinball_loss": g["pinball"].mean() / g["scale"].first(),
        "coverage_80": g["covered"].mean(),
        "units_actual": g["units"].sum(),
    }).reset_index()
    return out


def backtest_metrics(pred: pd.DataFrame, scale: pd.Series) -> pd.DataFrame:
    """Per (level, series_id, model) metrics plus one overall row per (level, model) with series_id '__overall__'."""
    errors = add_errors(pred, scale)
    per_series = summarize(errors, ["level", "series_id", "model"])
    g = errors.groupby(["level", "model"])
    per = per_series.groupby(["level", "model"])
    overall = pd.DataFrame({
        "n_forecasts": g.size(),
        "mase": per["mase"].mean(),
        "wape": g["abs_error"].sum() / g["units"].sum(),
        "bias": g["error"].sum() / g["units"].sum(),
        "pinball_loss": g["pinball"].mean(),
        "scaled_pinball_loss": per["scaled_pinball_loss"].mean(),
        "coverage_80": g["covered"].mean(),
        "units_actual": g["units"].sum(),
    }).reset_index()
    overall["series_id"] = "__overall__"
    out = pd.concat([per_series, overall[per_series.columns]], ignore_index=True)
    return out.sort_values(["level", "series_id", "model"]).reset_index(drop=True)
