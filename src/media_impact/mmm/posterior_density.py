"""The log posterior the MMM's sampler draws from, built from named row blocks.

Every walker of the ensemble is evaluated in one vectorised pass. For curve
parameters ``theta`` (carryover ``alpha``, half-saturation ``k``, slope ``s`` per
channel) the model is linear in its coefficients, and each block adds rows to one
Gaussian linear system in the coefficient vector ``b = [beta (C), delta (E)]``:

* :class:`MainRows` - the KPI rows: features of every series and week with the
  per-series means and the controls projected out (flat priors on both, integrated
  out exactly); noise ``sigma^2 / w``;
* :class:`SplitRows` - the retailer rows (:meth:`MMM._compile_split`): each retail
  channel's own-part feature in a retailer's deviation from its share, with the
  own-part coefficient ``delta``; same noise as the main rows (their weights put them
  on the main rows' scale);
* :class:`CalibrationRows` - one row per experiment: ``lift_e ~ N(beta_c G_e(theta), se_e^2)``
  (known variance).

With the prior ``b_j ~ HalfNormal(share / mean_t f_j(theta))`` (a prior on the
channel's share of mean revenue) the coefficients integrate out in closed form:
``log p(y | theta, sigma) = -w n/2 log sigma^2 - w y'y / (2 sigma^2) + z'z / 2
- log|L| - sum_j log scale_j + sum_j log Phi(m_j / sd_j)`` with ``A = L L'`` the posterior
precision of ``b``, ``z = L^-1 X'y / v``, and the normal orthant factor for
``b >= 0`` (exact for one coefficient, independent approximation for several).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, log_ndtr


def hill(A, k, s, dtype=np.float64):
    """Hill ``r / (1 + r)``, ``r = (A / k)^s``, of ``A`` (W, ..., C) with per-walker
    ``k, s`` (W, C); ``dtype=float32`` halves the cost of exp/log inside the sampler."""
    shape = (k.shape[0],) + (1,) * (A.ndim - 2) + (k.shape[1],)
    k = k.reshape(shape).astype(dtype)
    s = s.reshape(shape).astype(dtype)
    with np.errstate(divide="ignore"):
        r = np.exp(np.clip(s * (np.log(np.maximum(A, 0.0).astype(dtype)) - np.log(k)), -80.0, 80.0))
    return (r / (1.0 + r)).astype(np.float64)


def geometric_weights(alpha, L: int, normalize: bool = True):
    """(W, C, L) geometric lag weights ``alpha^l`` (normalised to sum 1)."""
    w = np.power(alpha[..., None], np.arange(L, dtype=float))
    return w / w.sum(axis=-1, keepdims=True) if normalize else w


def lagged(x: np.ndarray, L: int) -> np.ndarray:
    """``out[..., t, l] = x[..., t - l]`` (0 before the first week)."""
    out = np.zeros(x.shape + (L,))
    for lag in range(L):
        out[..., lag:, lag] = x[..., : x.shape[-1] - lag]
    return out


def likelihood_weight(resid: np.ndarray) -> float:
    """Effective share of independent weeks ``(1 - r) / (1 + r)`` for residuals (G, T)
    with pooled lag-1 autocorrelation ``r`` (an AR(1) process's variance inflation of a
    mean), clipped to [0.25, 1]. Residuals of a misspecified carryover or baseline are
    autocorrelated; weighting the likelihood by this share (a power posterior) widens
    the intervals by what the weeks do not independently tell."""
    e = resid - resid.mean(axis=1, keepdims=True)
    den = float((e * e).sum())
    r = float((e[:, 1:] * e[:, :-1]).sum() / den) if den > 0 else 0.0
    return float(np.clip((1.0 - r) / (1.0 + r), 0.25, 1.0))


class MainRows:
    """The KPI rows of a compiled :class:`MMM` (national series or a market panel)."""

    def __init__(self, m):
        self.G, self.T, self.C, self.L = m.G, m.T, m.C, m.L
        self.N, self.K = m.N, m.K
        self.normalize = m.s.normalize_adstock
        lag = m.lag                                               # (G, T + L, C, L)
        n = lag.shape[0] * lag.shape[1]
        self.lag_c = np.ascontiguousarray(lag.reshape(n, self.C, self.L).transpose(1, 0, 2))  # (C, n, L)
        self.shape = m.shape                                      # (G, T)
        self.unit_shape = bool(np.all(m.shape == 1.0))
        self.q, self.qm, self.y = m.q, m.qm, m.yr
        self.yty = float(self.y @ self.y)
        self.y_scale = m.y_scale                                  # (G,)
        self.dof = self.N - self.K - self.G                       # after the flat parts

    def weights(self, alpha):
        return geometric_weights(alpha, self.L, self.normalize)

    def adstock(self, alpha):
        """(W, G, T + L, C) adstocked scaled spend."""
        W = self.weights(alpha)
        A = self.lag_c @ W.transpose(1, 2, 0)                     # (C, n, W)
        return A.transpose(2, 1, 0).reshape(len(W), self.G, self.T + self.L, self.C)

    def rows(self, F):
        """(W, N + K, C): features (W, G, T, C) with series means and controls projected out."""
        W = F.shape[0]
        X = F if self.unit_shape else F / self.shape[None, :, :, None]
        Xd = (X - X.mean(axis=2, keepdims=True)).reshape(W, self.N, self.C)
        X2 = Xd.transpose(1, 0, 2).reshape(self.N, W * self.C)
        out = -(self.q @ (self.qm.T @ X2))
        out[: self.N] += X2
        return out.reshape(-1, W, self.C).transpose(1, 0, 2)


class SplitRows:
    """The retailer rows (``m.split``): own-part columns for the ``E`` split channels."""

    def __init__(self, m):
        sp = m.split
        self.g, self.chan, self.coef = sp["g"], sp["chan"], sp["coef"]       # (B,), (E,), (B, E)
        self.Q, self.weight = sp["Q"], sp["weight"]                          # (B, T, 3), (B,)
        self.QT = np.ascontiguousarray(self.Q.transpose(0, 2, 1))
        self.T = m.T
        self.E = len(self.chan)
        self.y = sp["lhs"].ravel()
        self.yty = float(self.y @ self.y)
        B = len(self.g)
        self.dof = B * self.T - 3 * B

    def rows(self, F):
        """(W, B T, E) from features (W, G, T, C), as :meth:`MMM.split_columns`."""
        W = F.shape[0]
        X = F[:, :, : self.T, self.chan][:, self.g]                         # (W, B, T, E)
        X = X.transpose(1, 2, 0, 3) * self.coef[:, None, None, :]          # (B, T, W, E)
        X = X.reshape(len(self.g), self.T, W * self.E)
        X = X - self.Q @ (self.QT @ X)                                       # project per block
        X = X * self.weight[:, None, None]
        return X.reshape(-1, W, self.E).transpose(1, 0, 2)


class CalibrationRows:
    """Experiment rows: the model's lift ``beta_c G_e(theta)`` against the measured lift,
    ``G_e`` as :meth:`MMM.experiment_gain` (the test window's weeks in the test series)."""

    def __init__(self, m):
        self.items = []
        L = m.L
        for c, in_win, gmask, e in m._cal:
            x = m.xs[:, :, c]
            win = np.concatenate([in_win, np.zeros(L, bool)])
            n_win = max(int(in_win.sum()), 1)
            if e.spend_change_usd is None or not np.isfinite(e.spend_change_usd):
                other = np.where(win[None, :] & gmask[:, None], 0.0, x)
            else:
                usd = m.data.spend[:, :, c].sum(axis=1) * gmask
                share = usd / usd.sum() if usd.sum() > 0 else gmask / max(gmask.sum(), 1)
                d = e.spend_change_usd * share / n_win / m.spend_scale[:, c]
                other = np.maximum(x - np.where(win[None, :], d[:, None], 0.0), 0.0)
            self.items.append((c, lagged(x, L)[:, win], lagged(other, L)[:, win], e.lift_usd, e.se_usd))
        self.y_scale = m.y_scale

    def gains(self, weights, k, s) -> np.ndarray:
        """(W, n_experiments) ``G_e`` for every walker."""
        out = np.zeros((len(k), len(self.items)))
        for i, (c, lb, lo, _, _) in enumerate(self.items):
            w = weights[:, c, :]                                             # (W, L)
            fb = hill(np.einsum("gtl,wl->wgt", lb, w)[..., None], k[:, c:c + 1], s[:, c:c + 1])[..., 0]
            fo = hill(np.einsum("gtl,wl->wgt", lo, w)[..., None], k[:, c:c + 1], s[:, c:c + 1])[..., 0]
            out[:, i] = ((fb - fo).sum(axis=2) * self.y_scale[None, :]).sum(axis=1)
        return out


class Density:
    """Log posterior of ``u = [logit alpha, log k, log s] x C + [log sigma]``.

    ``curve_prior = (index, mean, precision)``: a Gaussian on those entries of ``u``
    (e.g. another country's posterior of the same channels' curves) in place of the
    default priors of those entries."""

    def __init__(self, m, priors, weight: float = 1.0, curve_prior=None):
        self.main = MainRows(m)
        self.split = SplitRows(m) if m.E else None
        self.cal = CalibrationRows(m) if m._n_cal_rows() else None
        self.p = priors
        self.w = float(weight)
        self.C = m.C
        self.E = 0 if self.split is None else self.split.E
        self.dim = 3 * self.C + 1
        self.curve_prior = curve_prior
        self.default = np.ones(self.dim, bool)
        if curve_prior is not None:
            self.default[curve_prior[0]] = False
        self.dof = self.main.dof + (0 if self.split is None else self.split.dof)
        self.yty = self.main.yty + (0.0 if self.split is None else self.split.yty)

    def unpack(self, U):
        C = self.C
        u = np.atleast_2d(U)
        return (expit(u[:, :C]), np.exp(np.clip(u[:, C:2 * C], -12, 12)),
                np.exp(np.clip(u[:, 2 * C:3 * C], -5, 3)), np.exp(u[:, 3 * C]))

    def pack(self, alpha, k, s, sigma):
        a = np.clip(alpha, 1e-4, 1 - 1e-4)
        return np.concatenate([np.log(a / (1 - a)), np.log(k), np.log(s), [np.log(sigma)]])

    def log_prior(self, U):
        C, p = self.C, self.p
        u = np.atleast_2d(U)
        a = expit(u[:, :C])
        ab, bb = p.alpha_beta
        terms = np.zeros_like(u)
        with np.errstate(divide="ignore"):   # Beta on alpha with the logit Jacobian alpha (1 - alpha)
            terms[:, :C] = ab * np.log(a) + bb * np.log1p(-a)
        mk, sk = p.half_sat_lognormal
        terms[:, C:2 * C] = -0.5 * ((u[:, C:2 * C] - mk) / sk) ** 2
        ms, ss = p.slope_lognormal
        terms[:, 2 * C:3 * C] = -0.5 * ((u[:, 2 * C:3 * C] - ms) / ss) ** 2
        ls = u[:, 3 * C]
        terms[:, 3 * C] = -0.5 * (np.exp(ls) / p.sigma_halfnormal) ** 2 + ls   # half-normal, log Jacobian
        lp = (terms * self.default).sum(axis=1)
        if self.curve_prior is not None:
            idx, mu, prec = self.curve_prior
            d = u[:, idx] - mu
            lp += -0.5 * np.einsum("wi,ij,wj->w", d, prec, d)
        return lp

    def linear(self, U):
        """Precision (W, C+E, C+E) and ``X'y / v`` (W, C+E) of the coefficients' Gaussian
        conditional, ``sigma`` (W,) and the coefficients' prior scales (W, C+E)."""
        a, k, s, sigma = self.unpack(U)
        mr = self.main
        F = hill(mr.adstock(a)[:, :, : mr.T], k, s, np.float32)            # (W, G, T, C)
        fbar = np.maximum(F.mean(axis=(1, 2)), 1e-12)                       # (W, C)
        v = sigma ** 2 / self.w
        W, C, E = len(U), self.C, self.E
        X = mr.rows(F)
        XT = X.transpose(0, 2, 1)
        prec = np.zeros((W, C + E, C + E))
        b = np.zeros((W, C + E))
        prec[:, :C, :C] = XT @ X / v[:, None, None]
        b[:, :C] = (XT @ mr.y) / v[:, None]
        scale = self.p.share_halfnormal / fbar
        if self.split is not None:
            M = self.split.rows(F)
            MT = M.transpose(0, 2, 1)
            prec[:, C:, C:] = MT @ M / v[:, None, None]
            b[:, C:] = (MT @ self.split.y) / v[:, None]
            scale = np.concatenate([scale, scale[:, self.split.chan]], axis=1)
        if self.cal is not None:
            g = self.cal.gains(mr.weights(a), k, s)
            for i, (c, _, _, lift, se) in enumerate(self.cal.items):
                prec[:, c, c] += (g[:, i] / se) ** 2
                b[:, c] += g[:, i] * lift / se ** 2
        idx = np.arange(C + E)
        prec[:, idx, idx] += 1.0 / scale ** 2
        return prec, b, sigma, scale

    def __call__(self, U):
        U = np.atleast_2d(U)
        out = np.full(len(U), -np.inf)
        lp = self.log_prior(U)
        ok = np.isfinite(lp)
        if not ok.any():
            return out
        prec, b, sigma, scale = self.linear(U[ok])
        try:
            L = np.linalg.cholesky(prec)
        except np.linalg.LinAlgError:
            return out
        z = np.linalg.solve(L, b[..., None])[..., 0]
        Li = np.linalg.inv(L)
        mean = np.einsum("wji,wj->wi", Li, z)                     # A^-1 b = L'^-1 z
        sd = np.sqrt((Li * Li).sum(axis=1))                       # sqrt(diag A^-1)
        logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        s2 = sigma ** 2
        ll = (-0.5 * self.w * self.dof * np.log(s2) - 0.5 * self.w * self.yty / s2 + 0.5 * (z * z).sum(axis=1)
              - 0.5 * logdet - np.log(scale).sum(axis=1) + log_ndtr(mean / sd).sum(axis=1))
        res = lp[ok] + ll
        out[ok] = np.where(np.isfinite(res), res, -np.inf)
        return out

    def draw_coefficients(self, U, rng, tries: int = 200):
        """``[beta, delta]`` per row of ``U`` from the Gaussian conditional truncated to
        ``>= 0`` (rejection; the clipped first candidate when none of ``tries`` is positive)."""
        prec, b, _, _ = self.linear(U)
        out = np.zeros((len(U), self.C + self.E))
        for i in range(len(U)):
            cov = np.linalg.inv(prec[i])
            mean = cov @ b[i]
            root = np.linalg.cholesky(0.5 * (cov + cov.T))
            cand = mean + rng.standard_normal((tries, len(mean))) @ root.T
            good = np.flatnonzero((cand >= 0).all(axis=1))
            out[i] = cand[good[0]] if len(good) else np.clip(cand[0], 0.0, None)
        return out
