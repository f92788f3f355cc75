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

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.special import expit, log_ndtr


def hill(A, k, s, dtype=np.float64):
    """Hill ``r / (1 + r) = 1 / (1 + exp(-s (log A - log k)))`` of ``A`` with ``k, s``
    broadcastable against it, computed in ``dtype`` (``float32`` inside the sampler halves
    the cost of exp and log) in one buffer. No clipping: ``exp`` overflowing to ``inf``
    gives the exact limit 0 (and ``A = 0`` gives 0), so ``f'(A) = s f (1 - f) / A`` of a
    tiny ``A`` stays right."""
    with np.errstate(divide="ignore", over="ignore"):
        X = np.log(np.maximum(A, 0.0).astype(dtype, copy=False))
        X -= np.log(np.asarray(k, dtype))
        X *= -np.asarray(s, dtype)
        np.exp(X, out=X)
    X += 1.0
    return np.reciprocal(X, out=X)


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


def likelihood_weight(resid: np.ndarray, spend: np.ndarray | None = None) -> float:
    """Effective share of independent rows in residuals (G, T): a power posterior's weight.

    Over weeks, the AR(1) share ``(1 - r) / (1 + r)`` with ``r`` the pooled lag-1
    autocorrelation (a mean's variance inflation), clipped to [0.25, 1]: residuals of a
    misspecified carryover or baseline are autocorrelated. Across the ``G`` series of a
    panel, the Moulton design effect ``1 + (G - 1) rho_e rho_x`` divides it, with
    ``rho_e`` the mean correlation of two series' residuals in the same week (a shock
    common to every market) and ``rho_x`` the mean correlation of two series' spend
    (``spend`` (G, T, C), averaged over channels): a week's shock seen in every market
    tells the coefficients once, not ``G`` times. Either way the intervals widen by what
    the rows do not independently tell (the Laplace path's Driscoll-Kraay covariance
    answers the same question)."""
    e = resid - resid.mean(axis=1, keepdims=True)
    den = float((e * e).sum())
    r = float((e[:, 1:] * e[:, :-1]).sum() / den) if den > 0 else 0.0
    share = float(np.clip((1.0 - r) / (1.0 + r), 0.25, 1.0))
    G = e.shape[0]
    if G < 2 or spend is None:
        return share
    rho_e = max(_mean_cross_correlation(e), 0.0)
    rho_x = np.clip(np.nanmean([_mean_cross_correlation(spend[:, :, c]) for c in range(spend.shape[2])]), 0.0, 1.0)
    return share / (1.0 + (G - 1) * rho_e * float(rho_x))


def _mean_cross_correlation(x: np.ndarray) -> float:
    """Mean correlation between two different rows of ``x`` (G, T); rows without
    variation are left out (nan when fewer than two have some)."""
    x = x[np.std(x, axis=1) > 0]
    G = len(x)
    if G < 2:
        return float("nan")
    c = np.corrcoef(x)
    return float((c.sum() - G) / (G * (G - 1)))


class MainRows:
    """The KPI rows of a compiled :class:`MMM` (national series or a market panel).

    The sampler needs only the Gaussian conditional's sufficient statistics, so the
    projected rows ``X = P [F - series means]`` (``P`` projects out the controls) are
    never formed: with ``qm`` (orthonormal, per-series centred columns, :class:`MMM`)
    ``X'X = sum_g (F_g'F_g - T fbar_g fbar_g') - Z'Z``, ``Z = qm'F``, and ``X'y = F'y``
    (``y`` is already centred and projected)."""

    def __init__(self, m):
        self.G, self.T, self.C, self.L = m.G, m.T, m.C, m.L
        self.N, self.K = m.N, m.K
        self.normalize = m.s.normalize_adstock
        lag = m.lag                                               # (G, T + L, C, L)
        n = lag.shape[0] * lag.shape[1]
        self.lag_c = np.ascontiguousarray(lag.reshape(n, self.C, self.L).transpose(1, 0, 2))  # (C, n, L)
        # the observed weeks only, (C, L, N) in float32: the sampler's adstock
        self.lag_obs = np.ascontiguousarray(lag[:, : self.T].reshape(self.N, self.C, self.L)
                                            .transpose(1, 2, 0), dtype=np.float32)
        self.inv_shape = None if np.all(m.shape == 1.0) else (1.0 / m.shape).reshape(self.N)
        self.qm, self.y = m.qm, m.yr
        self.basis = np.column_stack([m.qm, m.yr[: self.N]])      # (N, K + 1): [qm, y]
        self.yty = float(self.y @ self.y)
        self.y_scale = m.y_scale                                  # (G,)
        self.dof = self.N - self.K - self.G                       # after the flat parts

    def weights(self, alpha):
        return geometric_weights(alpha, self.L, self.normalize)

    def adstock(self, alpha):
        """(W, G, T + L, C) adstocked scaled spend, carryover tail included."""
        W = self.weights(alpha)
        A = self.lag_c @ W.transpose(1, 2, 0)                     # (C, n, W)
        return A.transpose(2, 1, 0).reshape(len(W), self.G, self.T + self.L, self.C)

    def features(self, alpha, k, s):
        """(C, W, N) float64 features of the observed weeks for walkers ``(W, C)`` each
        (adstock and Hill in float32; the sums that follow in float64)."""
        W = self.weights(alpha).transpose(1, 0, 2).astype(np.float32)     # (C, W, L)
        F = hill(W @ self.lag_obs, k.T[:, :, None], s.T[:, :, None], np.float32)
        F = F.astype(np.float64)
        if self.inv_shape is not None:
            F *= self.inv_shape
        return F

    def stats(self, F):
        """``(gram, XtX, Xty)``: per-series ``F_g'F_g`` (W, G, C, C), and the projected
        rows' ``X'X`` (W, C, C) and ``X'y`` (W, C) from features ``F`` (C, W, N)."""
        C, W = F.shape[:2]
        V = F.reshape(C, W, self.G, self.T).transpose(1, 2, 3, 0)            # (W, G, T, C) view
        gram = np.matmul(V.transpose(0, 1, 3, 2), V)
        sums = V.sum(axis=2)                                                 # (W, G, C)
        proj = (F.reshape(C * W, self.N) @ self.basis).reshape(C, W, -1).transpose(1, 2, 0)  # (W, K+1, C)
        Z = proj[:, : self.K]
        xtx = (gram.sum(axis=1) - np.einsum("wgc,wgd->wcd", sums, sums) / self.T
               - np.matmul(Z.transpose(0, 2, 1), Z))
        return gram, xtx, proj[:, self.K]


class SplitRows:
    """The retailer rows (``m.split``): own-part columns for the ``E`` split channels.

    Block ``b`` (series ``g``) has columns ``M_b = w_b (I - Q_b Q_b') F_g D_b`` with
    ``D_b = diag(coef_b)``, so ``M'M = sum_b w_b^2 D_b (F_g'F_g - (Q_b'F_g)'(Q_b'F_g)) D_b``
    and ``M'y = sum_b w_b D_b F_g' y_b`` (``y_b`` is already projected and weighted)."""

    def __init__(self, m):
        sp = m.split
        self.g, self.chan, self.coef = sp["g"], sp["chan"], sp["coef"]       # (B,), (E,), (B, E)
        self.Q, self.weight = sp["Q"], sp["weight"]                          # (B, T, 3), (B,)
        self.QT = np.ascontiguousarray(self.Q.transpose(0, 2, 1))            # (B, 3, T)
        self.T = m.T
        self.G = m.G
        self.E = len(self.chan)
        self.lhs = sp["lhs"]                                                 # (B, T)
        self.y = self.lhs.ravel()
        self.yty = float(self.y @ self.y)
        self.wcoef = self.coef * self.weight[:, None]                        # (B, E)
        B = len(self.g)
        self.dof = B * self.T - 3 * B

    def stats(self, F, gram):
        """``(M'M (W, E, E), M'y (W, E))`` from features ``F`` (C, W, N) and the per-series
        ``gram`` of :meth:`MainRows.stats`."""
        C, W = F.shape[:2]
        Fe = F.reshape(C, W, self.G, self.T)[self.chan][:, :, self.g]       # (E, W, B, T)
        Fe = Fe.transpose(1, 2, 3, 0)                                        # (W, B, T, E)
        P = np.matmul(self.QT, Fe)                                           # (W, B, 3, E)
        ge = gram[:, self.g][:, :, self.chan][:, :, :, self.chan]            # (W, B, E, E)
        inner = ge - np.matmul(P.transpose(0, 1, 3, 2), P)
        mtm = np.einsum("be,wbef,bf->wef", self.wcoef, inner, self.wcoef)
        mty = np.einsum("be,wbte,bt->we", self.wcoef, Fe, self.lhs)
        return mtm, mty


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
            kc, sc = k[:, c, None, None], s[:, c, None, None]
            fb = hill(np.einsum("gtl,wl->wgt", lb, w), kc, sc)
            fo = hill(np.einsum("gtl,wl->wgt", lo, w), kc, sc)
            out[:, i] = ((fb - fo).sum(axis=2) * self.y_scale[None, :]).sum(axis=1)
        return out


@functools.lru_cache(maxsize=None)
def _pool(n: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=n, thread_name_prefix="mmm-density")


class Density:
    """Log posterior of ``u = [logit alpha, log k, log s] x C + [log sigma]``.

    ``curve_prior = (index, mean, precision)``: a Gaussian on those entries of ``u``
    (e.g. another country's posterior of the same channels' curves) in place of the
    default priors of those entries."""

    def __init__(self, m, priors, weight: float = 1.0, curve_prior=None, threads: int = 1):
        self.threads = int(threads)
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
        F = mr.features(a, k, s)                                            # (C, W, N)
        v = sigma ** 2 / self.w
        W, C, E = len(U), self.C, self.E
        fbar = np.maximum(F.mean(axis=2).T, 1e-12)                          # (W, C)
        gram, xtx, xty = mr.stats(F)
        prec = np.zeros((W, C + E, C + E))
        b = np.zeros((W, C + E))
        prec[:, :C, :C] = xtx / v[:, None, None]
        b[:, :C] = xty / v[:, None]
        scale = self.p.share_halfnormal / fbar
        if self.split is not None:
            mtm, mty = self.split.stats(F, gram)
            prec[:, C:, C:] = mtm / v[:, None, None]
            b[:, C:] = mty / v[:, None]
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
        """Log posterior of every row of ``U``; with ``threads > 1`` the walkers are split
        into that many fixed chunks evaluated side by side (numpy releases the GIL), so
        the result is the same whatever the machine's load."""
        U = np.atleast_2d(U)
        if self.threads <= 1 or len(U) < 4 * self.threads:
            return self._log_prob(U)
        chunks = np.array_split(U, self.threads)
        return np.concatenate(list(_pool(self.threads).map(self._log_prob, chunks)))

    def _log_prob(self, U):
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
