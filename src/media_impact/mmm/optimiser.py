"""The one budget optimiser, used by the pipeline and the dashboard.

Every channel's response is a tabulated curve (:class:`Curve`: increasing spend grid,
incremental revenue on it). :func:`optimise_budget` splits a budget across channels
within bounds to maximise total revenue, exactly on each curve's upper concave
envelope: the envelope's segments are taken highest slope first until the budget is
spent (the greedy allocation is optimal for concave piecewise-linear curves, and an
S-shaped curve is read as its envelope, as a planner would fund a channel past its
threshold or not at all).

The pipeline tabulates each channel's expected revenue (the posterior mean, or the
point fit) between its bounds (:func:`tabulate`) and calls :func:`allocate`; the
dashboard calls :func:`optimise_budget` on the stored response curves.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd


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


def concave_envelope(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper concave hull of the points (x, y), x increasing (Andrew's monotone chain)."""
    hull: list[tuple[float, float]] = []
    for p in zip(np.asarray(x, float).tolist(), np.asarray(y, float).tolist()):
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
    incremental_revenue_usd (on the curve), marginal_roi (slope of the envelope at the
    optimum) and at_bound ('lower', 'upper' or '').
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


# draws x series x weeks x channels of a posterior response from which the table is filled
# two channels at a time (sample world: 0.8M, scale 10: 7.8M)
PARALLEL_CELLS = 2_000_000


def tabulate(resp, lower, upper, points: int = 201, threads: int = 2) -> dict[int, Curve]:
    """Each active channel's expected revenue at ``points`` spend multipliers from
    ``lower_c`` to ``upper_c`` (``resp``: :class:`media_impact.mmm.model.ChannelResponse`
    or :class:`media_impact.mmm.response_draws.PosteriorResponse`), as USD curves keyed
    by channel index."""
    S = np.asarray(resp.spend, float)
    active = [int(c) for c in np.flatnonzero(S > 0)]

    def one(c: int) -> Curve:
        mult = np.linspace(float(lower[c]), float(upper[c]), points)
        return Curve(mult * S[c], np.asarray(resp.revenue_curve(c, mult), float))

    # on a large panel, channels side by side: each is its own computation (numpy releases
    # the GIL), so the curves are the same whatever the order; over the posterior draws this
    # table is most of the planning's time (scale 10: about 30 s of one core)
    if np.size(getattr(resp, "a_in", 0)) < PARALLEL_CELLS:
        return {c: one(c) for c in active}
    with ThreadPoolExecutor(threads) as pool:
        return dict(zip(active, pool.map(one, active)))


def allocate(resp, total_budget: float, lower, upper, curves: dict[int, Curve] | None = None) -> dict:
    """Maximise ``sum_c R_c(s_c / S_c)`` subject to ``sum_c s_c = B`` and
    ``lower_c S_c <= s_c <= upper_c S_c`` (``S_c`` = historical spend in the window), by
    :func:`optimise_budget` on the tabulated curves (:func:`tabulate`; pass ``curves``
    to reuse one table for several budgets). On concave curves every channel strictly
    inside its bounds ends with the same marginal ROI up to the grid's step.
    Returns spends, revenues, marginal ROIs (exact, at the optimum), bound flags and a
    status (``infeasible_budget_clipped`` when the budget lies outside the bounds)."""
    S = np.asarray(resp.spend, float)
    act = S > 0
    lo = np.where(act, np.asarray(lower, float) * S, 0.0)
    hi = np.where(act, np.asarray(upper, float) * S, 0.0)
    status = "optimal"
    if total_budget < lo.sum() - 1e-6 or total_budget > hi.sum() + 1e-6:
        status = "infeasible_budget_clipped"
        total_budget = float(np.clip(total_budget, lo.sum(), hi.sum()))
    curves = curves if curves is not None else tabulate(resp, lower, upper)
    best = optimise_budget({str(c): cv for c, cv in curves.items()}, total_budget,
                           {str(c): (lo[c], hi[c]) for c in curves})
    spend = np.zeros_like(S)
    spend[[int(c) for c in best.channel_id]] = best.spend_usd.to_numpy()
    mult = np.divide(spend, S, out=np.zeros_like(S), where=act)
    mroi = np.array([resp.marginal(c, mult[c]) / S[c] if act[c] else np.nan for c in range(len(S))])
    tol = 1e-4 * np.maximum(S, 1.0)
    return {"spend": spend, "lower": lo, "upper": hi, "multiplier": mult,
            "revenue": np.array([resp.revenue(c, mult[c]) if act[c] else 0.0 for c in range(len(S))]),
            "marginal_roi": mroi, "at_lower": act & (spend <= lo + tol), "at_upper": act & (spend >= hi - tol),
            "status": status, "total_budget": total_budget}
