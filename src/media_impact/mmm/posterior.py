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

Sampling (:mod:`media_impact.mmm.posterior_density`): the intercepts and controls are
integrated out exactly (flat priors, projected out), the media coefficients (and the
retailer rows' own-part coefficients) analytically as a Gaussian with the half-normal's
positivity by the normal orthant factor; calibration rows (experiment lifts) enter the
same Gaussian. What is left, ``3 C + 1`` parameters (logit carryover, log
half-saturation, log slope per channel, log sigma), is sampled by emcee's ensemble
sampler (differential-evolution moves) with every walker's density evaluated in one
vectorised pass; the coefficients are then drawn for each kept draw from their
conditional truncated to ``>= 0``. So the spread of curve shapes that fit equally well
is in the draws, not a Gaussian at one optimum. A panel of another country can take a
donor country's posterior of the same channels' curves as its prior (``share_curves``,
:func:`donor_prior`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from .posterior_density import Density, MainRows, hill, likelihood_weight


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
    walkers_per_dim: int = 2
    burn: int = 250
    draws: int = 250
    keep: int = 400            # kept draws (thinned evenly from walkers x draws)
    seed: int = 1
    autocorrelation: bool = True   # weight the likelihood by the residuals' effective share (likelihood_weight)
    threads: int = 2           # walkers evaluated in this many fixed chunks side by side (BLAS single-threaded)

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
    u: np.ndarray | None = None      # (S, 3C + 1) the unconstrained draws (another country's prior)

    def theta(self) -> np.ndarray:
        """(S, C, 3): ``[alpha, half_sat, slope]`` in the model's parameter order."""
        return np.stack([self.alpha, self.half_sat, self.slope], axis=2)


def supports_posterior(m) -> bool:
    """The sampler takes geometric adstock with Hill saturation and an additive baseline
    (main, retailer and calibration rows); other models keep the Laplace draws."""
    return m.s.adstock == "geometric" and m.s.saturation == "hill" and m.shape_gamma is None


def sample(m, init_theta, priors: Priors | None = None, settings: SamplerSettings | None = None,
           sigma0: float | None = None, weight: float = 1.0, curve_prior=None) -> Draws:
    """Posterior draws for the compiled model ``m`` (:class:`Density`: main, retailer and
    calibration rows), walkers started in a small ball around ``init_theta`` (C, 3)
    (the multistart optimum)."""
    import emcee

    priors = priors or Priors()
    st = settings or SamplerSettings()
    dens = Density(m, priors, weight, curve_prior, st.threads)
    D = dens.dim
    nw = max(2 * D + 2, st.walkers_per_dim * D)
    nw += nw % 2
    th = np.asarray(init_theta, float)
    u0 = dens.pack(th[:, 0], np.clip(th[:, 1], 1e-3, None), np.clip(th[:, 2], 0.2, 5.0), sigma0 or 0.05)
    rng = np.random.default_rng(st.seed)
    p0 = u0 + 0.05 * rng.standard_normal((nw, D))
    sampler = emcee.EnsembleSampler(nw, D, dens, vectorize=True, moves=[(emcee.moves.DEMove(), 1.0)])
    sampler.random_state = np.random.RandomState(st.seed).get_state()
    # BLAS threads on these small products only contend with the walker chunks
    with threadpool_limits(1, user_api="blas"):
        state = sampler.run_mcmc(p0, st.burn, progress=False)
        sampler.reset()
        sampler.run_mcmc(state, st.draws, progress=False)
    chain = sampler.get_chain(flat=True)
    U = chain[np.linspace(0, len(chain) - 1, st.keep).round().astype(int)]
    a, k, s, sigma = dens.unpack(U)
    coef = dens.draw_coefficients(U, rng)
    return Draws(alpha=a, half_sat=k, slope=s, beta=coef[:, : m.C], sigma=sigma,
                 acceptance=float(np.mean(sampler.acceptance_fraction)), weight=weight, u=U)


def quantities(m, draws: Draws, group_mask=None) -> dict:
    """Per-draw contribution (observed weeks), incremental revenue (carryover tail
    included), ROI and marginal ROI over the whole history, each (S, C), summed over
    the series in ``group_mask``. Removing a channel's spend zeroes its adstock, so
    its incremental revenue is ``beta_c sum_g ybar_g sum_t f_c``; the marginal is
    ``beta_c sum_g ybar_g sum_t f_c'(A) A`` (all spend scaled by 1 + eps)."""
    rows = MainRows(m)
    gm = np.ones(rows.G, bool) if group_mask is None else np.asarray(group_mask, bool)
    F = hill(rows.adstock(draws.alpha)[:, gm], draws.half_sat[:, None, None], draws.slope[:, None, None])   # (S, G', T + L, C)
    ys = rows.y_scale[gm][None, :, None]
    spend = m.data.spend[gm].sum(axis=(0, 1))
    inc = draws.beta * (F.sum(axis=2) * ys).sum(axis=1)
    contrib = draws.beta * (F[:, :, : rows.T].sum(axis=2) * ys).sum(axis=1)
    marg = draws.beta * ((draws.slope[:, None, None, :] * F * (1.0 - F)).sum(axis=2) * ys).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        roi = np.where(spend > 0, inc / spend, np.nan)
        mroi = np.where(spend > 0, marg / spend, np.nan)
    return {"contribution": contrib, "incremental": inc, "roi": roi, "mroi": mroi}


def donor_prior(donor, data, inflate: float = 1.0):
    """Another country's posterior as the prior of this country's curves (``share_curves``):
    ``(index, mean, precision)`` over the entries of ``u`` of the channels both have,
    from the donor's draws (logit carryover and log slope as they are, log
    half-saturation shifted by the log ratio of the two countries' per-capita spend,
    the unit it is measured in), covariance widened by ``inflate^2``. ``None`` when the
    panels are not per capita or share no channel."""
    res_d, draws_d = donor
    dd = res_d.data
    if dd.group_size is None or data.group_size is None or draws_d.u is None:
        return None
    Cd, C = len(dd.channels), len(data.channels)
    pc_d = dd.spend.sum(axis=(0, 1)) / np.sum(dd.group_size)
    pc_r = data.spend.sum(axis=(0, 1)) / np.sum(data.group_size)
    idx, cols, shift = [], [], []
    for k, ch in enumerate(data.channels):
        if ch not in dd.channels or pc_r[k] <= 0:
            continue
        j = dd.channels.index(ch)
        idx += [k, C + k, 2 * C + k]
        cols += [j, Cd + j, 2 * Cd + j]
        shift += [0.0, float(np.log(pc_d[j] / pc_r[k])), 0.0]
    if not idx:
        return None
    X = draws_d.u[:, cols] + np.array(shift)
    cov = np.cov(X, rowvar=False) * inflate ** 2
    prec = np.linalg.pinv(0.5 * (cov + cov.T), rcond=1e-10, hermitian=True)
    return np.array(idx), X.mean(axis=0), prec


def posterior_draws(res, priors: dict | None = None, sampler: dict | None = None, donor=None,
                    inflate: float = 1.0) -> dict:
    """Draws of the fitted model ``res`` (:class:`ModelResult`) summarised per country as
    :func:`media_impact.mmm.fitting.laplace` does, with ``point: median`` (the point
    estimates are posterior medians) and the raw ``draws`` for the other outputs.
    ``donor = (ModelResult, Draws)`` of another country: its curves are this one's prior."""
    m, fit = res.model, res.fit
    resid = (res.data.y - fit.fitted) / m.y_scale[:, None]
    sigma0 = float(np.sqrt(np.mean(resid ** 2)))
    st = SamplerSettings.from_dict(sampler)
    weight = likelihood_weight(resid, res.data.spend) if st.autocorrelation else 1.0
    cp = donor_prior(donor, res.data, inflate) if donor is not None else None
    dr = sample(m, fit.theta, Priors.from_dict(priors), st, sigma0, weight, cp)
    countries = sorted(set(res.data.group_country))
    out = {k: quantities(m, dr, np.array([c == k for c in res.data.group_country])) for k in countries}
    out["point"] = "median"
    out["draws"] = dr
    out["method"] = "posterior"
    return out
