"""Synthetic control for geo experiments, with market fixed effects (GeoLift's default).

Notation: ``Y[j, t]`` is market ``j``'s response in period ``t``; treated markets
are averaged into one series ``y1[t]``; the other markets are donors ``Y0``.
``t <= T0`` is the pre-period, ``T0 < t`` the test period.

1. Fixed effects: every series is demeaned on its own pre-period mean,
   ``Yc[j, t] = Y[j, t] - mean_{s <= T0} Y[j, s]`` (``y1c`` likewise).
2. Weights: non-negative donor weights that sum to 1 and best match the treated
   series in the pre-period,

       w = argmin || y1c[pre] - Yc0[:, pre]' w ||^2   s.t.  w >= 0, sum w = 1.

   The simplex-constrained least squares is solved by an active-set method that
   ends in the exact KKT solution (GeoLift, through augsynth, solves the same QP
   with OSQP; both land on the same weights on GeoLift's walkthrough data).
3. Counterfactual of the treated average in the test period:
   ``yhat[t] = mean_pre(y1) + Yc0[:, t]' w``.
4. ``ATT = mean_{t > T0} (y1[t] - yhat[t])`` per treated market and period;
   incremental units ``= n_treated * sum_{t > T0} (y1[t] - yhat[t])``;
   lift ``= sum(y1 - yhat) / sum(yhat)`` over the test period.
5. p-value, conformal (Chernozhukov, Wuthrich and Zhu 2021): under the null of
   no effect the weights are refit on all periods, the residuals ``u[t]`` are
   exchangeable in time, and the statistic ``S = sum_{t > T0} |u[t]|`` (or
   ``sum u[t]`` one-sided) is compared with the same statistic over every
   cyclic shift of the time index: ``p = share of shifts with S_shift >= S``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def simplex_least_squares(a: np.ndarray, b: np.ndarray, tol: float = 1e-12, max_iter: int = 500) -> np.ndarray:
    """``argmin ||b - a w||^2`` subject to ``w >= 0`` and ``sum(w) = 1``.

    Primal active-set method (Lawson-Hanson style) on the equality-constrained
    problem: solve the KKT system on the free set, step back to feasibility when
    a weight would turn negative, add the donor with the most negative reduced
    gradient while the KKT conditions fail.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n = a.shape[1]
    if n == 1:
        return np.ones(1)
    # the weights do not change when a and b are scaled together; unit scale keeps
    # the KKT system (Gram block next to the row of ones) well conditioned
    unit = max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-300)
    a, b = a / unit, b / unit
    gram = a.T @ a
    atb = a.T @ b
    scale = max(1.0, float(np.abs(gram).max()))

    def solve_free(free: np.ndarray) -> tuple[np.ndarray, float]:
        k = free.size
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = gram[np.ix_(free, free)]
        kkt[:k, k] = 1.0
        kkt[k, :k] = 1.0
        rhs = np.append(atb[free], 1.0)
        sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
        return sol[:k], sol[k]

    # start at the single best donor
    single = [float(((b - a[:, j]) ** 2).sum()) for j in range(n)]
    w = np.zeros(n)
    w[int(np.argmin(single))] = 1.0
    free = np.flatnonzero(w > 0)
    for _ in range(max_iter):
        # inner loop: feasible solution on the free set
        while True:
            z, lam = solve_free(free)
            if (z > tol).all():
                w = np.zeros(n)
                w[free] = z
                break
            # step from w towards z until the first weight hits zero
            wf = w[free]
            moving = z <= tol
            steps = wf[moving] / np.maximum(wf[moving] - z[moving], 1e-300)
            alpha = float(np.clip(steps.min(), 0.0, 1.0))
            new = wf + alpha * (z - wf)
            w = np.zeros(n)
            w[free] = new
            free = free[new > tol]
            if free.size == 0:
                raise RuntimeError("active set emptied")
        # KKT: gradient of 0.5||b - a w||^2 is gram w - atb; multiplier lam
        grad = gram @ w - atb
        reduced = grad - (-lam)  # stationarity on the free set: grad + (-lam) = 0 there
        reduced = grad + lam
        outside = np.setdiff1d(np.arange(n), free)
        if outside.size == 0:
            return w
        j = outside[np.argmin(reduced[outside])]
        if reduced[j] >= -tol * scale:
            return w
        free = np.sort(np.append(free, j))
    raise RuntimeError("simplex least squares did not converge")


@dataclass(frozen=True)
class SyntheticControlResult:
    """Effect of the test on the treated markets' average series."""

    att: float  # per treated market and test period
    incremental: float  # summed over treated markets and test periods
    lift: float
    observed_total: float  # treated markets, test period
    counterfactual_total: float
    p_value: float
    weights: pd.Series = field(repr=False)  # donor -> weight
    pre_rmse: float = 0.0
    n_treated: int = 1
    test_periods: int = 0


def _demean(matrix: np.ndarray, pre: np.ndarray) -> np.ndarray:
    return matrix - matrix[:, pre].mean(axis=1, keepdims=True)


def synthetic_control(
    panel: pd.DataFrame,
    treated_markets: list[str],
    pre_period: tuple,
    test_period: tuple,
    donor_markets: list[str] | None = None,
    fixed_effects: bool = True,
    alternative: str = "two-sided",
    market_col: str = "market_id",
    time_col: str = "date_day",
    value_col: str = "y",
) -> SyntheticControlResult:
    """Fit the synthetic control on a long panel (formulas in the module docstring).

    Periods outside ``pre_period`` and ``test_period`` (inclusive bounds) are
    ignored. ``alternative`` is ``"two-sided"``, ``"greater"`` or ``"less"`` for
    the conformal p-value.
    """
    wide = panel.pivot_table(index=market_col, columns=time_col, values=value_col, aggfunc="sum").sort_index(axis=1)
    when = wide.columns
    in_pre = (when >= pre_period[0]) & (when <= pre_period[1])
    in_test = (when >= test_period[0]) & (when <= test_period[1])
    wide = wide.loc[:, in_pre | in_test]
    pre = np.asarray(in_pre[in_pre | in_test])
    test = ~pre
    if wide.isna().any().any():
        raise ValueError("the panel has gaps: every market needs every period")
    treated = [m for m in treated_markets]
    missing = set(treated) - set(wide.index)
    if missing:
        raise ValueError(f"treated markets missing from the panel: {sorted(missing)}")
    donors = donor_markets if donor_markets is not None else [m for m in wide.index if m not in set(treated)]
    y1 = wide.loc[treated].to_numpy(float).mean(axis=0)
    y0 = wide.loc[donors].to_numpy(float)
    if pre.sum() < 2 or test.sum() < 1:
        raise ValueError("need at least 2 pre-period and 1 test-period points")

    def fit(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weights fitted on the periods in ``mask``; returns (weights, counterfactual)."""
        if fixed_effects:
            level1 = y1[mask].mean()
            level0 = y0[:, mask].mean(axis=1, keepdims=True)
        else:
            level1, level0 = 0.0, np.zeros((y0.shape[0], 1))
        y1c = y1 - level1
        y0c = y0 - level0
        w = simplex_least_squares(y0c[:, mask].T, y1c[mask])
        return w, level1 + y0c.T @ w

    w, y_hat = fit(pre)
    gap = y1 - y_hat
    n_treated = len(treated)
    incremental_avg = float(gap[test].sum())
    counterfactual = float(y_hat[test].sum())

    # conformal p-value: refit under the null on every period, permute residuals cyclically
    _, y_hat_null = fit(np.ones_like(pre))
    resid = y1 - y_hat_null
    order = np.concatenate([np.flatnonzero(pre), np.flatnonzero(test)])
    resid = resid[order]
    n_all, n_test = resid.size, int(test.sum())

    def statistic(u: np.ndarray) -> float:
        tail = u[-n_test:]
        if alternative == "greater":
            return float(tail.sum())
        if alternative == "less":
            return float(-tail.sum())
        return float(np.abs(tail).sum())

    observed_stat = statistic(resid)
    shifted = [statistic(np.roll(resid, k)) for k in range(n_all)]
    p_value = float(np.mean(np.asarray(shifted) >= observed_stat - 1e-12))

    return SyntheticControlResult(
        att=incremental_avg / n_test,
        incremental=incremental_avg * n_treated,
        lift=incremental_avg / counterfactual,
        observed_total=float(y1[test].sum()) * n_treated,
        counterfactual_total=counterfactual * n_treated,
        p_value=p_value,
        weights=pd.Series(w, index=list(donors), name="weight").sort_values(ascending=False),
        pre_rmse=float(np.sqrt(np.mean(gap[pre] ** 2))),
        n_treated=n_treated,
        test_periods=n_test,
    )


__all__ = ["SyntheticControlResult", "simplex_least_squares", "synthetic_control"]
