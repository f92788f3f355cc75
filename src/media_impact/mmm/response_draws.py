"""Channel response over posterior draws: the planning answers with their intervals.

:class:`PosteriorResponse` has the interface of :class:`media_impact.mmm.model.ChannelResponse`
(``spend``, ``window``, ``group_mask``, ``revenue(c, m)``, ``marginal(c, m)``, ``roi``,
``marginal_roi``) with every value the **posterior mean** over the draws, so the one
budget optimiser (:func:`media_impact.mmm.optimiser.allocate`) maximises expected
incremental revenue, which is the Bayes decision for a planner. ``revenue_draws`` and
``marginal_draws`` give the draws themselves, from which the curves, the optimal
allocation's gain and every scenario take their 90% intervals.

Formulas (geometric adstock, Hill saturation, draw ``i``, channel ``c``, series ``g``)::

    R_ic(m)  = beta_ic sum_g ybar_g sum_t [ f_ic(A_out + m A_in) - f_ic(A_out) ]
    R_ic'(m) = beta_ic sum_g ybar_g sum_t f_ic'(A_out + m A_in) A_in

with ``A_in`` / ``A_out`` the adstock of the window's spend / the rest, over the weeks the
window's spend reaches (the window and its ``l_max`` carryover tail; elsewhere both
terms are 0).
"""
from __future__ import annotations

import numpy as np

from .posterior import Draws
from .posterior_density import geometric_weights, hill

class PosteriorResponse:
    def __init__(self, model, draws: Draws, window=None, group_mask=None, max_draws: int = 100):
        T, L = model.T, model.L
        S = len(draws.alpha)
        keep = np.unique(np.linspace(0, S - 1, min(S, max_draws)).round().astype(int))
        self.alpha, self.k = draws.alpha[keep], draws.half_sat[keep]
        self.s, self.beta = draws.slope[keep], draws.beta[keep]
        win = np.ones(T, bool) if window is None else np.asarray(window, bool)
        gm = np.ones(model.G, bool) if group_mask is None else np.asarray(group_mask, bool)
        self.window, self.group_mask = win, gm
        padwin = np.concatenate([win, np.zeros(L, bool)])
        xs = model.xs[gm]                                          # (G', T + L, C)
        x_in = np.where(padwin[None, :, None], xs, 0.0)
        W = geometric_weights(self.alpha, L, model.s.normalize_adstock)   # (S, C, L)
        # only the weeks the window's spend reaches (the window and its carryover tail):
        # elsewhere A_in = 0 and every difference and derivative below is 0
        lag_in, lag_out = model._lagged(x_in, L), model._lagged(xs - x_in, L)
        reach = (lag_in != 0).any(axis=(0, 2, 3))
        self.a_in = np.einsum("gtcl,scl->sgtc", lag_in[:, reach], W)
        self.a_out = np.einsum("gtcl,scl->sgtc", lag_out[:, reach], W)
        self.ys = model.y_scale[gm]
        self.spend = model.data.spend[gm][:, win, :].sum(axis=(0, 1))
        self.base = np.stack([self._f(c, self.a_out[..., c]).sum(axis=2) for c in range(model.C)], axis=2)

    def _f(self, c: int, A: np.ndarray) -> np.ndarray:
        return hill(A, self.k[:, c][:, None, None], self.s[:, c][:, None, None])

    def curve_draws(self, c: int, mults, chunk: int = 16, marginal: bool = True) -> tuple:
        """``(R_c, R_c')`` draws (M, S) at every multiplier of ``mults``, in chunks of
        ``chunk`` multipliers (``R_c'`` is ``None`` without ``marginal``). ``f'(A) = s f (1 - f) / A`` at ``A >= 1e-300``, as
        transforms.hill_derivative does (a slope below 1 has an unbounded derivative at
        no spend)."""
        a_in, a_out, base = self.a_in[..., c], self.a_out[..., c], self.base[:, :, c]
        k, s = self.k[:, c][None, :, None, None], self.s[:, c][None, :, None, None]
        rev, mar = [], []
        mults = np.atleast_1d(np.asarray(mults, float))
        for part in np.array_split(mults, max(1, -(-len(mults) // chunk))):
            A = np.maximum(a_out[None] + part[:, None, None, None] * a_in[None], 1e-300)   # (M, S, G', T')
            f = hill(A, k, s)
            rev.append(self.beta[:, c] * ((f.sum(axis=3) - base) * self.ys).sum(axis=2))
            if marginal:
                d = s * f * (1.0 - f) / A
                mar.append(self.beta[:, c] * ((d * a_in[None]).sum(axis=3) * self.ys).sum(axis=2))
        return np.concatenate(rev), (np.concatenate(mar) if marginal else None)

    def revenue_draws(self, c: int, m: float) -> np.ndarray:
        return self.curve_draws(c, [m], marginal=False)[0][0]

    def revenue_curve(self, c: int, mults) -> np.ndarray:
        """Posterior-mean ``R_c`` at each multiplier of ``mults`` (the optimiser's table)."""
        return self.curve_draws(c, mults, marginal=False)[0].mean(axis=1)

    def marginal_draws(self, c: int, m: float) -> np.ndarray:
        return self.curve_draws(c, [m])[1][0]

    def revenue(self, c: int, m: float) -> float:
        return float(self.revenue_draws(c, m).mean())

    def marginal(self, c: int, m: float) -> float:
        return float(self.marginal_draws(c, m).mean())

    def roi(self, c: int) -> float:
        return self.revenue(c, 1.0) / self.spend[c] if self.spend[c] > 0 else np.nan

    def marginal_roi(self, c: int, m: float = 1.0) -> float:
        return self.marginal(c, m) / self.spend[c] if self.spend[c] > 0 else np.nan

    def plan_draws(self, multipliers) -> np.ndarray:
        """(S, C) incremental revenue of every channel at its spend multiplier."""
        return np.column_stack([self.revenue_draws(c, float(mu)) if self.spend[c] > 0
                                else np.zeros(len(self.beta)) for c, mu in enumerate(multipliers)])

    def flight_draws(self, model, c: int, weekly_usd: np.ndarray) -> np.ndarray:
        """(S,) incremental revenue of a flight plan for channel ``c`` from no spend, split
        over the series by their historical spend (as :func:`scenarios.flight_revenue`)."""
        gm = self.group_mask
        hist = model.data.spend[gm, :, c].sum(axis=1)
        share = hist / hist.sum() if hist.sum() > 0 else np.full(gm.sum(), 1 / gm.sum())
        plan = np.concatenate([weekly_usd, np.zeros(model.L)])
        x = share[:, None] * plan[None, :] / model.spend_scale[gm, c][:, None]      # (G', P)
        W = geometric_weights(self.alpha, model.L, model.s.normalize_adstock)[:, c, :]   # (S, L)
        lag = model._lagged(x[:, :, None], model.L)[:, :, 0, :]                   # (G', P, L)
        A = np.einsum("gtl,sl->sgt", lag, W)
        f = self._f(c, A).sum(axis=2)
        return self.beta[:, c] * (f * self.ys).sum(axis=1)
