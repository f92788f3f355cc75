"""Budget allocation on the fitted response curves."""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .model import ChannelResponse


def allocate(resp: ChannelResponse, total_budget: float, lower, upper, n_starts: int = 4,
             seed: int = 7) -> dict:
    """Maximise ``sum_c R_c(s_c / S_c)`` subject to ``sum_c s_c = B`` and
    ``lower_c S_c <= s_c <= upper_c S_c`` (``S_c`` = historical spend in the window).

    SLSQP with analytic gradients ``R_c'(m) / S_c``, started from the historical mix
    scaled to ``B`` and ``n_starts`` seeded random feasible points; the best feasible
    end point wins. At an optimum the KKT conditions hold: every channel strictly
    inside its bounds has the same marginal ROI ``lambda``; channels at the lower
    bound have marginal ROI <= lambda, at the upper bound >= lambda.
    Returns spends, revenues, marginal ROIs, bound flags and a solver status.
    """
    S = np.asarray(resp.spend, float)
    act = S > 0
    lo = np.where(act, np.asarray(lower, float) * S, 0.0)
    hi = np.where(act, np.asarray(upper, float) * S, 0.0)
    idx = np.flatnonzero(act)
    if total_budget < lo.sum() - 1e-6 or total_budget > hi.sum() + 1e-6:
        status = "infeasible_budget_clipped"
        total_budget = float(np.clip(total_budget, lo.sum(), hi.sum()))
    else:
        status = None
    scale = max(sum(resp.revenue(c, 1.0) for c in idx), 1.0)

    B = float(total_budget)

    # variables are budget shares u_c = s_c / B, so the problem is well scaled
    def f(u):
        return -sum(resp.revenue(c, u[i] * B / S[c]) for i, c in enumerate(idx)) / scale

    def g(u):
        return -np.array([resp.marginal(c, u[i] * B / S[c]) * B / S[c] for i, c in enumerate(idx)]) / scale

    cons = [{"type": "eq", "fun": lambda u: u.sum() - 1.0, "jac": lambda u: np.ones_like(u)}]
    bnds = list(zip(lo[idx] / B, hi[idx] / B))
    rng = np.random.default_rng(seed)
    starts = [_feasible(S[idx] * total_budget / S[idx].sum(), lo[idx], hi[idx], total_budget)]
    for _ in range(n_starts):
        starts.append(_feasible(lo[idx] + rng.random(len(idx)) * (hi[idx] - lo[idx]),
                                lo[idx], hi[idx], total_budget))
    best = None
    for x0 in starts:
        r = minimize(f, x0 / B, jac=g, method="SLSQP", bounds=bnds, constraints=cons,
                     options={"ftol": 1e-15, "maxiter": 1000})
        r.x = r.x * B
        feas = abs(r.x.sum() - B) <= 1e-6 * B
        if feas and (best is None or r.fun < best.fun):
            best = r
    spend = np.zeros_like(S)
    if best is None:
        spend[idx] = starts[0]
        status = status or "failed"
    else:
        spend[idx] = np.clip(best.x, lo[idx], hi[idx])
        status = status or ("optimal" if best.success else f"stopped: {best.message}")
    mult = np.divide(spend, S, out=np.zeros_like(S), where=act)
    mroi = np.array([resp.marginal(c, mult[c]) / S[c] if act[c] else np.nan for c in range(len(S))])
    tol = 1e-4 * np.maximum(S, 1.0)
    at_lo = act & (spend <= lo + tol)
    at_hi = act & (spend >= hi - tol)
    return {"spend": spend, "lower": lo, "upper": hi, "multiplier": mult,
            "revenue": np.array([resp.revenue(c, mult[c]) if act[c] else 0.0 for c in range(len(S))]),
            "marginal_roi": mroi, "at_lower": at_lo, "at_upper": at_hi,
            "status": status, "total_budget": total_budget}


def _feasible(x, lo, hi, total, iters: int = 100):
    """Project ``x`` onto ``{lo <= x <= hi, sum x = total}`` (bisection on a shift)."""
    a, b = -total - hi.max(), total + hi.max()
    for _ in range(iters):
        mid = 0.5 * (a + b)
        if np.clip(x + mid, lo, hi).sum() > total:
            b = mid
        else:
            a = mid
    return np.clip(x + 0.5 * (a + b), lo, hi)
