"""Fit metrics reported for every candidate (Robyn's, so a marketer can compare)."""
from __future__ import annotations

import numpy as np


def nrmse(y, yhat) -> float:
    """Robyn's NRMSE: ``sqrt(mean((y - yhat)^2)) / (max(y) - min(y))``."""
    y, yhat = np.ravel(y), np.ravel(yhat)
    rng = y.max() - y.min()
    return float(np.sqrt(np.mean((y - yhat) ** 2)) / rng) if rng > 0 else np.nan


def mape(y, yhat) -> float:
    """Mean absolute percentage error ``mean(|y - yhat| / |y|)``."""
    y, yhat = np.ravel(y), np.ravel(yhat)
    return float(np.mean(np.abs(y - yhat) / np.abs(y)))


def decomp_rssd(effect_usd, spend_usd) -> float:
    """Robyn's DECOMP.RSSD: ``sqrt(sum_c (effect_share_c - spend_share_c)^2)``."""
    e, s = np.asarray(effect_usd, float), np.asarray(spend_usd, float)
    if e.sum() <= 0 or s.sum() <= 0:
        return np.nan
    return float(np.sqrt(np.sum((e / e.sum() - s / s.sum()) ** 2)))
