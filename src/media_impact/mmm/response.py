"""A fitted model's channel response: incremental revenue as a channel's spend is scaled."""
from __future__ import annotations

import numpy as np


class ChannelResponse:
    """Incremental revenue of each channel as its spend in a window is scaled by ``m``.

    Adstock is linear, so with ``A_in`` the adstock of the window's spend and
    ``A_out`` that of the spend outside it (both over the observed weeks plus the
    ``l_max`` tail)::

        R_c(m)  = beta_c sum_g ybar_g sum_t [ f(A_out + m A_in) - f(A_out) ]
        R_c'(m) = beta_c sum_g ybar_g sum_t f'(A_out + m A_in) A_in

    ``R_c(1)`` is the channel's incremental revenue (counterfactual: no spend in
    the window, carryover counted); ROI = ``R_c(1) / S_c`` and marginal ROI =
    ``R_c'(1) / S_c`` where ``S_c`` is the window's spend in USD.
    """

    def __init__(self, model, fit, window=None, group_mask=None):
        self.model, self.fit = model, fit
        T, L = model.T, model.L
        win = np.ones(T, bool) if window is None else np.asarray(window, bool)
        gm = np.ones(model.G, bool) if group_mask is None else np.asarray(group_mask, bool)
        self.window, self.group_mask = win, gm
        self.y_scale = model.y_scale[gm]
        padwin = np.concatenate([win, np.zeros(L, bool)])
        self.a_in, self.a_out, self.spend = [], [], np.zeros(model.C)
        for c in range(model.C):
            x = model.xs[gm, :, c]
            x_in = np.where(padwin[None, :], x, 0.0)
            self.a_in.append(model.adstocked(fit.theta[c], x_in))
            self.a_out.append(model.adstocked(fit.theta[c], x - x_in))
            self.spend[c] = model.data.spend[gm][:, win, c].sum()
        self.base = [model.saturate(fit.theta[c], self.a_out[c]).sum(axis=1)
                     for c in range(model.C)]

    def revenue(self, c: int, m: float) -> float:
        mdl = self.model
        f = mdl.saturate(self.fit.theta[c], self.a_out[c] + m * self.a_in[c]).sum(axis=1)
        return float(self.fit.beta[c] * (self.y_scale * (f - self.base[c])).sum())

    def revenue_curve(self, c: int, mults) -> np.ndarray:
        """``R_c`` at each multiplier of ``mults`` (the optimiser's table)."""
        return np.array([self.revenue(c, float(m)) for m in mults])

    def marginal(self, c: int, m: float) -> float:
        """``dR_c/dm`` (USD of revenue per unit multiplier); divide by spend for mROI."""
        mdl = self.model
        d = mdl.saturate_derivative(self.fit.theta[c], self.a_out[c] + m * self.a_in[c])
        return float(self.fit.beta[c] * (self.y_scale * (d * self.a_in[c]).sum(axis=1)).sum())

    def roi(self, c: int) -> float:
        return self.revenue(c, 1.0) / self.spend[c] if self.spend[c] > 0 else np.nan

    def marginal_roi(self, c: int, m: float = 1.0) -> float:
        return self.marginal(c, m) / self.spend[c] if self.spend[c] > 0 else np.nan
