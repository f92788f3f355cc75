"""Forecast reconciliation for a two-level hierarchy: a national (country) total over its series.

WLS (MinT with a diagonal covariance): given base forecasts t^ for the total and
b^_i for its n series, with error variances v_t and v_i, the coherent forecasts
minimising sum_i (b_i - b^_i)^2 / v_i + (sum_i b_i - t^)^2 / v_t are
    b~_i = b^_i + v_i (t^ - sum_j b^_j) / (v_t + sum_j v_j),     t~ = sum_i b~_i,
the closed form of  b~ = (S' W^-1 S)^-1 S' W^-1 [t^, b^]  with S = [1'; I], W = diag(v_t, v).
Bottom-up is the limit v_t -> infinity (t~ = sum_i b^_i).
"""
from __future__ import annotations

import numpy as np


def wls_two_level(total_base: float, bottom_base: np.ndarray, var_total: float, var_bottom: np.ndarray) -> np.ndarray:
    """Reconciled bottom forecasts b~ (their sum is the reconciled total)."""
    bottom_base = np.asarray(bottom_base, dtype=float)
    var_bottom = np.asarray(var_bottom, dtype=float)
    gap = total_base - bottom_base.sum()
    return bottom_base + var_bottom * gap / (var_total + var_bottom.sum())


def wls_matrix(base: np.ndarray, S: np.ndarray, W: np.ndarray) -> np.ndarray:
    """General WLS reconciliation y~ = S (S' W^-1 S)^-1 S' W^-1 y^ (all nodes, in S's row order)."""
    Winv = np.linalg.inv(W)
    P = np.linalg.solve(S.T @ Winv @ S, S.T @ Winv)
    return S @ (P @ base)
