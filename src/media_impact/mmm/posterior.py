"""The MMM's posterior by MCMC: every channel's carryover and saturation sampled,
the linear coefficients integrated out.

Model (the same design as :class:`media_impact.mmm.model.MMM`: revenue over its
scale ``ybar_g``, spend over its scale, controls and per-series means)::

    y_gt / ybar_g = a_g + z_gt' gamma + sum_c beta_c hill(adstock(x_gtc); k_c, s_c) + e_gt
    e_gt ~ N(0, sigma^2)

Priors (weakly informative, in the model's relative units; :class:`Priors`):

* carryover ``alpha_c ~ Beta(1, 3)`` (geometric, normalised weights over ``l_max``
  weeks; PyMC-Marketing's default adstock prior);
* half-saturation ``k_c ~ LogNormal(0, 1)`` in units of the channel's mean weekly
  spend (a median at typical spend, 95% within a factor of 7 of it);
* Hill slope ``s_c ~ LogNormal(log 1.2, 0.5)`` (95% in 0.45-3.2: concave to S-shaped);
* media effect: a channel's share of mean revenue ``beta_c mean_t f_c ~ HalfNormal(0.25)``
  (median 17%, 95% below 49%), i.e. ``beta_c ~ HalfNormal(0.25 / mean_t f_c(theta))``:
  a prior on the effect, not on the coefficient, whose meaning changes with the curve
  (:meth:`Density.linear`);
* noise ``sigma ~ HalfNormal(0.5)``; intercepts and controls flat.

Sampling: the intercepts and control coefficients are integrated out exactly by
projecting them out (flat priors, the residual maker of the model's QR factor),
and ``beta`` is integrated out analytically as a Gaussian with the positivity of
the half-normal prior taken into account by the normal orthant factor
``prod_c Phi(m_c / sd_c)`` (exact for one channel, independent approximation for
several). What is left, ``3 C + 1`` parameters (logit carryover, log
half-saturation, log slope per channel, log sigma), is sampled by emcee's
ensemble sampler (differential-evolution moves) with every walker's density
evaluated in one vectorised pass. ``beta`` is then drawn for each kept draw from
its Gaussian conditional truncated to ``beta >= 0`` (rejection). So the spread of
curve shapes that fit equally well is in the draws, not a Gaussian at one optimum.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_ndtr

QUANTITIES = ("contribution", "incremental", "roi", "mroi")


@dataclass(frozen=True)
class Priors:
    """Prior hyper-parameters (see the module docstring)."""

    alpha_beta: tuple = (1.0, 3.0)        # Beta(a, b) on geometric carryover
    half_sat_lognormal: tuple = (0.0, 1.0)  # LogNormal(mu, sd), units of mean weekly spend
    slope_lognormal: tuple = (0.18, 0.5)   # LogNormal(mu, sd): median 1.2
    share_halfnormal: float = 0.25       # HalfNormal on a channel's share of mean revenue
    sigma_halfnormal: float = 0.5

    @classmethod
    def from_dict(cls, d: dict | None) -> "Priors":
        d = dict(d or {})
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown prior setting(s): {', '.join(sorted(unknown))}")
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()})


@dataclass(frozen=True)
class SamplerSettings:
    walkers_per_dim: int = 4
    burn: int = 400
    draws: int = 300
    keep: int = 400            # kept draws (thinned evenly from walkers x draws)
    seed: int = 1
    autocorrelation: bool = True   # weight the likelihood by the residuals' effective share (likelihood_weight)

    @classmethod
    def from_dict(cls, d: dict | None) -> "SamplerSettings":
        d = {k: v for k, v in dict(d or {}).items() if k in cls.__dataclass_fields__}
        return cls(**d)


@dataclass(frozen=True)
class Draws:
    """Posterior draws: ``alpha, half_sat, slope, beta`` (S, C) and ``sigma`` (S,)."""

    alpha: np.ndarray
    half_sat: np.ndarray
    slope: np.ndarray
    beta: np.ndarray
    sigma: np.ndarray
    acceptance: float
    weight: float = 1.0

    def theta(self) -> np.ndarray:
        """(S, C, 3): ``[alpha, half_sat, slope]`` in the model's parameter order."""
        return np.stack([self.alpha, self.half_sat, self.slope], axis=2)


def supports_posterior(m) -> bool:
    """The sampler takes geometric adstock with Hill saturation and no split or
    calibration rows; other models keep the Laplace draws."""
    return (m.s.adstock == "geometric" and m.s.saturation == "hill" and not m.E
            and not m._n_cal_rows() and m.shape_gamma is None)


class Design:
    """The pieces of a compiled :class:`MMM` the density needs, nothing else."""

    def __init__(self, m):
        if m.s.adstock != "geometric" or m.s.saturation != "hill":
            raise ValueError("the posterior sampler supports geometric adstock with Hill saturation")
        if m.E or m._n_cal_rows():
            raise ValueError("the posterior sampler does not take split or calibration rows")
        self.G, self.T, self.C, self.L = m.G, m.T, m.C, m.L
        self.N, self.K = m.N, m.K
        self.normalize = m.s.normalize_adstock
        lag = m.lag                               # (G, T + L, C, L)
        self.n_rows = lag.shape[0] * lag.shape[1]
        self.lag_c = np.ascontiguousarray(lag.reshape(self.n_rows, self.C, self.L).transpose(1, 0, 2))  # (C, n, L)
        self.shape = m.shape                      # (G, T)
        self.unit_shape = bool(np.all(m.shape == 1.0))
        self.q, self.qm, self.yr = m.q, m.qm, m.yr
        self.yty = float(self.yr @ self.yr)
        self.y_scale = m.y_scale                  # (G,)
        self.spend = m.data.spend.sum(axis=(0, 1))  # (C,) USD
        self.dof = self.N - self.K - self.G        # residual degrees of freedom after the flat parts

    def weights(self, alpha):
        """(W, C, L) geometric lag weights."""
        lags = np.arange(self.L, dtype=float)
        w = np.power(alpha[..., None], lags)
        return w / w.sum(axis=-1, keepdims=True) if self.normalize else w

    def adstock(self, alpha):
        """(W, G, T + L, C) adstocked scaled spend."""
        W = self.weights(alpha)                                   # (W, C, L)
        A = self.lag_c @ W.transpose(1, 2, 0)                     # (C, n, W)
        return A.transpose(2, 1, 0).reshape(len(W), self.G, self.T + self.L, self.C)

    @staticmethod
    def hill(A, k, s, dtype=np.float64):
        """Hill of ``A`` (W, G, T', C) with per-walker ``k, s`` (W, C); ``dtype=float32``
        halves the cost of the transcendental functions inside the sampler."""
        k = k[:, None, None, :].astype(dtype)
        s = s[:, None, None, :].astype(dtype)
        with np.errstate(divide="ignore"):
            r = np.exp(np.clip(s * (np.log(np.maximum(A, 0.0).astype(dtype)) - np.log(k)), -80.0, 80.0))
        return (r / (1.0 + r)).astype(np.float64)

    def projected(self, F):
        """(W, N + K, C): features after the per-series means and controls are projected out."""
        W = F.shape[0]
        X = F[:, :, : self.T, :]
        if not self.unit_shape:
            X = X / self.shape[None, :, :, None]
        Xd = (X - X.mean(axis=2, keepdims=True)).reshape(W, self.N, self.C)
        X2 = Xd.transpose(1, 0, 2).reshape(self.N, W * self.C)
        out = -(self.q @ (self.qm.T @ X2))
        out[: self.N] += X2
        return out.reshape(-1, W, self.C).transpose(1, 0, 2)


class Density:
    """Log posterior of the unconstrained vector ``u = [logit alpha, log k, log s] x C + [log sigma]``."""

    def __init__(self, design: Design, priors: Priors, weight: float = 1.0):
        self.d, self.p = design, priors
        self.w = float(weight)          # likelihood weight (effective share of independent weeks)
        self.C = design.C
        self.dim = 3 * self.C + 1

    def unpack(self, U):
        C = self.C
        u = np.atleast_2d(U)
        a = expit(u[:, :C])
        k = np.exp(np.clip(u[:, C:2 * C], -12, 12))
        s = np.exp(np.clip(u[:, 2 * C:3 * C], -5, 3))
        sigma = np.exp(u[:, 3 * C])
        return a, k, s, sigma

    def pack(self, alpha, k, s, sigma):
        a = np.clip(alpha, 1e-4, 1 - 1e-4)
        return np.concatenate([np.log(a / (1 - a)), np.log(k), np.log(s), [np.log(sigma)]])

    def log_prior(self, U):
        C, p = self.C, self.p
        u = np.atleast_2d(U)
        a = expit(u[:, :C])
        ab, bb = p.alpha_beta
        # Beta density on alpha with the logit Jacobian alpha (1 - alpha)
        with np.errstate(divide="ignore"):
            lp = ((ab) * np.log(a) + (bb) * np.log1p(-a)).sum(axis=1)
        mk, sk = p.half_sat_lognormal
        lp += (-0.5 * ((u[:, C:2 * C] - mk) / sk) ** 2).sum(axis=1)
        ms, ss = p.slope_lognormal
        lp += (-0.5 * ((u[:, 2 * C:3 * C] - ms) / ss) ** 2).sum(axis=1)
        ls = u[:, 3 * C]
        lp += -0.5 * (np.exp(ls) / p.sigma_halfnormal) ** 2 + ls   # half-normal, log Jacobian
        return lp

    def linear(self, U):
        """The Gaussian conditional of ``beta``: precision (W, C, C), ``F'y / sigma^2`` (W, C),
        ``sigma`` (W,) and the prior scale of ``beta`` (W, C).

        The prior is on each channel's share of mean revenue ``beta_c * mean_t f_c``, so
        its scale in ``beta`` is ``share_sd / mean_t f_c(theta)``: a prior fixed in
        ``beta`` would favour curves whose features are small (a flat, barely
        saturated curve with a large coefficient costs no prior volume), which biases
        ROI upwards whenever the data cannot pin the curve."""
        a, k, s, sigma = self.unpack(U)
        F = self.d.hill(self.d.adstock(a)[:, :, : self.d.T], k, s, np.float32)
        fbar = np.maximum(F.mean(axis=(1, 2)), 1e-12)               # (W, C)
        scale = self.p.share_halfnormal / fbar
        Fr = self.d.projected(F)
        FrT = Fr.transpose(0, 2, 1)
        FtF = FrT @ Fr
        Fty = FrT @ self.d.yr
        s2 = sigma[:, None, None] ** 2 / self.w
        idx = np.arange(self.C)
        prec = FtF / s2
        prec[:, idx, idx] += 1.0 / scale ** 2
        b = Fty / s2[:, :, 0]
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
        mean = np.linalg.solve(np.swapaxes(L, 1, 2), z[..., None])[..., 0]
        Li = np.linalg.inv(L)
        cov_diag = (Li * Li).sum(axis=1)
        logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        s2 = sigma ** 2
        ll = (-0.5 * self.w * self.d.dof * np.log(s2) - 0.5 * self.w * self.d.yty / s2 + 0.5 * (z * z).sum(axis=1)
              - 0.5 * logdet - np.log(scale).sum(axis=1))
        # beta >= 0: the half-normal's mass on the positive orthant, independent approximation
        ll += log_ndtr(mean / np.sqrt(cov_diag)).sum(axis=1)
        res = lp[ok] + ll
        out[ok] = np.where(np.isfinite(res), res, -np.inf)
        return out

    def draw_beta(self, U, rng, tries: int = 200):
        """``beta`` for each row of ``U`` from its Gaussian conditional truncated to ``beta >= 0``."""
        prec, b, _, _ = self.linear(U)
        out = np.zeros((len(U), self.C))
        for i in range(len(U)):
            cov = np.linalg.inv(prec[i])
            mean = cov @ b[i]
            root = np.linalg.cholesky(0.5 * (cov + cov.T))
            z = rng.standard_normal((tries, self.C))
            cand = mean + z @ root.T
            good = np.flatnonzero((cand >= 0).all(axis=1))
            out[i] = cand[good[0]] if len(good) else np.clip(cand[0], 0.0, None)
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


def sample(m, init_theta, priors: Priors | None = None, settings: SamplerSettings | None = None,
           sigma0: float | None = None, weight: float = 1.0) -> Draws:
    """Posterior draws for the compiled model ``m``, walkers started in a small ball
    around ``init_theta`` (C, 3) (the multistart optimum)."""
    import emcee

    priors = priors or Priors()
    st = settings or SamplerSettings()
    dens = Density(Design(m), priors, weight)
    D = dens.dim
    nw = max(2 * D + 2, st.walkers_per_dim * D)
    nw += nw % 2
    th = np.asarray(init_theta, float)
    k0 = np.clip(th[:, 1], 1e-3, None)
    s0 = np.clip(th[:, 2], 0.2, 5.0)
    u0 = dens.pack(th[:, 0], k0, s0, sigma0 or 0.05)
    rng = np.random.default_rng(st.seed)
    p0 = u0 + 0.05 * rng.standard_normal((nw, D))
    sampler = emcee.EnsembleSampler(nw, D, dens, vectorize=True,
                                    moves=[(emcee.moves.DEMove(), 1.0)])
    sampler.random_state = np.random.RandomState(st.seed).get_state()
    state = sampler.run_mcmc(p0, st.burn, progress=False)
    sampler.reset()
    sampler.run_mcmc(state, st.draws, progress=False)
    chain = sampler.get_chain(flat=True)
    idx = np.linspace(0, len(chain) - 1, st.keep).round().astype(int)
    U = chain[idx]
    a, k, s, sigma = dens.unpack(U)
    beta = dens.draw_beta(U, rng)
    return Draws(alpha=a, half_sat=k, slope=s, beta=beta, sigma=sigma,
                 acceptance=float(np.mean(sampler.acceptance_fraction)), weight=weight)


def quantities(m, draws: Draws, group_mask=None) -> dict:
    """Per-draw contribution (observed weeks), incremental revenue (carryover tail
    included), ROI and marginal ROI over the whole history, each (S, C), summed over
    the series in ``group_mask``. Removing a channel's spend zeroes its adstock, so
    its incremental revenue is ``beta_c sum_g ybar_g sum_t f_c``; the marginal is
    ``beta_c sum_g ybar_g sum_t f_c'(A) A`` (all spend scaled by 1 + eps)."""
    d = Design(m)
    gm = np.ones(d.G, bool) if group_mask is None else np.asarray(group_mask, bool)
    A = d.adstock(draws.alpha)[:, gm]                          # (S, G', T + L, C)
    F = d.hill(A, draws.half_sat, draws.slope)
    ys = d.y_scale[gm][None, :, None]
    spend = m.data.spend[gm].sum(axis=(0, 1))
    inc = draws.beta * (F.sum(axis=2) * ys).sum(axis=1)
    contrib = draws.beta * (F[:, :, : d.T].sum(axis=2) * ys).sum(axis=1)
    dfa = draws.slope[:, None, None, :] * F * (1.0 - F)       # f'(A) A for Hill
    marg = draws.beta * (dfa.sum(axis=2) * ys).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        roi = np.where(spend > 0, inc / spend, np.nan)
        mroi = np.where(spend > 0, marg / spend, np.nan)
    return {"contribution": contrib, "incremental": inc, "roi": roi, "mroi": mroi}


def posterior_draws(res, priors: dict | None = None, sampler: dict | None = None) -> dict:
    """Draws of the fitted model ``res`` (:class:`ModelResult`) summarised per country as
    :func:`media_impact.mmm.fitting.laplace` does, with ``point: median`` (the point
    estimates are posterior medians) and the raw ``draws`` for the other outputs."""
    m, fit = res.model, res.fit
    resid = (res.data.y - fit.fitted) / m.y_scale[:, None]
    sigma0 = float(np.sqrt(np.mean(resid ** 2)))
    st = SamplerSettings.from_dict(sampler)
    weight = likelihood_weight(resid) if st.autocorrelation else 1.0
    dr = sample(m, fit.theta, Priors.from_dict(priors), st, sigma0, weight)
    countries = sorted(set(res.data.group_country))
    out = {k: quantities(m, dr, np.array([c == k for c in res.data.group_country])) for k in countries}
    out["point"] = "median"
    out["draws"] = dr
    return out
