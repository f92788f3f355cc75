"""Candidate models, time-ordered cross-validation, calibration and the bootstrap."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .design import PanelData
from .metrics import decomp_rssd, mape, nrmse
from .model import MMM, Fit, Settings


@dataclass
class ModelResult:
    """A chosen, fitted model with its candidate table, CV metrics and bootstrap draws."""

    name: str
    data: PanelData
    settings: Settings
    model: MMM
    fit: Fit
    candidates: pd.DataFrame
    metrics: dict
    seconds: float = 0.0
    boot: dict = field(default_factory=dict)


def _national(a: np.ndarray) -> np.ndarray:
    return np.asarray(a).sum(axis=0)


def cross_validate(data: PanelData, settings: Settings, theta0, experiments=None, sigma=None,
                   folds: int = 3, horizon: int = 13, refit: str = "full",
                   n_starts: int = 2, model: MMM | None = None) -> dict:
    """Expanding-window CV: for ``k = 1..folds`` train on weeks ``[0, T - (folds-k+1) h)``,
    predict the next ``h`` weeks (spend and controls known), score the summed series.

    ``refit="full"`` re-runs the multistart search on each training window
    (``n_starts`` Sobol starts plus ``theta0``); ``"local"`` refits by L-BFGS-B
    from ``theta0`` only (faster, for large panels).
    Returns out-of-sample MAPE and NRMSE over all test weeks pooled.
    """
    T = data.n_weeks
    ys, yh = [], []
    for k in range(folds):
        n_train = T - (folds - k) * horizon
        if n_train < max(26, 2 * horizon):
            continue
        # a multiplicative baseline's shape and the markets' levels are re-estimated on
        # the training weeks only, so the held-out weeks do not leak in
        fold_settings = replace(settings, n_starts=n_starts)
        m = (model.like(data.subset_weeks(n_train), fold_settings, shape_gamma=None, level=None)
             if model is not None else MMM(data.subset_weeks(n_train), fold_settings, experiments, sigma))
        f = m.fit(starts=[theta0]) if refit == "full" else m.refine(theta0)
        m, f = _multiplicative_passes(m, f)
        pred = m.predict(f, data.subset_weeks(n_train + horizon))[:, n_train:]
        ys.append(_national(data.y[:, n_train:n_train + horizon]))
        yh.append(_national(pred))
    if not ys:
        return {"mape_oos": np.nan, "nrmse_oos": np.nan}
    y, p = np.concatenate(ys), np.concatenate(yh)
    return {"mape_oos": mape(y, p), "nrmse_oos": nrmse(y, p), "n_oos_weeks": int(len(y))}


def fit_one(data: PanelData, settings: Settings, experiments=None, starts=None,
            prior=None) -> tuple[MMM, Fit, float | None]:
    """Fit; with experiments, first fit without them to get the residual scale ``sigma``,
    then refit with the calibration rows (L-BFGS-B from the uncalibrated optimum)."""
    m = MMM(data, settings)
    f = m.fit(starts=starts)
    if prior is None and settings.curve_prior:
        # a weak prior moves the optimum locally: refine from the unpenalised fit
        m = m.like(data, prior=(*default_curve_prior(m, settings.curve_prior), f.objective / m.N))
        f = m.refine(f.theta, settings.maxiter)
    elif prior is not None:
        # the prior's weight needs the residual scale: f_hat of the unpenalised fit
        mu, prec = prior
        m = m.like(data, prior=(mu, prec, f.objective / m.N))
        f = m.fit(starts=[mu, f.theta.ravel()] + list(starts or []))
    m, f = _multiplicative_passes(m, f)
    m, f = _reweight_split(m, f)
    if not experiments:
        return m, f, None
    resid = (data.y - f.fitted) / m.y_scale[:, None]
    sigma = float(np.sqrt(np.mean(resid ** 2)))
    mc = m.like(data, experiments=experiments, sigma=sigma)
    # a calibration row is one more observation: refine from the uncalibrated optimum
    fc = mc.refine(f.theta, settings.maxiter)
    return mc, fc, sigma


def default_curve_prior(m: MMM, spec: dict):
    """``(mu, Lambda)`` from ``{param: [mean, sd]}``: the same independent Gaussian prior
    on that parameter of every channel (others flat)."""
    C, P = m.C, m.P
    mu, prec = np.zeros(C * P), np.zeros((C * P, C * P))
    for name, (mean, sd) in spec.items():
        if name not in m.param_names:
            continue
        p = m.param_names.index(name)
        for c in range(C):
            mu[c * P + p] = float(mean)
            prec[c * P + p, c * P + p] = 1.0 / float(sd) ** 2
    return mu, prec


def _reweight_split(m: MMM, f, passes: int = 2):
    """Re-estimate the split rows' weights (main residual scale / each block's residual
    scale, from the current fit) and refine; ``passes`` rounds."""
    if m.split is None:
        return m, f
    for _ in range(passes):
        s_main = float(np.sqrt(np.mean(((m.data.y - f.fitted) / m.y_scale[:, None]) ** 2)))
        s_b = np.sqrt(np.mean(m.split_residuals(f) ** 2, axis=1))
        m = m.like(m.data, split_weights=s_main / np.maximum(s_b, 1e-12))
        f = m.refine(f.theta, m.s.maxiter)
    return m, f


def _multiplicative_passes(m: MMM, f):
    """Multiplicative baseline ``y = ybar_g a_g exp(Gamma z) + media`` by a fixed point:
    each pass divides the rows by the previous pass's baseline shape
    ``exp((z - z0) Gamma)`` (which also weights the rows as multiplicative noise
    needs), fits the additive model for the remaining shape and folds its control
    coefficients into ``Gamma += gamma / mean(a_g)`` (a log-linear step)."""
    if m.s.baseline != "multiplicative":
        return m, f
    gam = np.zeros(m.K)
    for _ in range(max(m.s.baseline_passes - 1, 0)):
        gam = gam + f.gamma / float(np.mean(f.intercept))
        m = m.like(m.data, shape_gamma=gam)
        f = m.refine(f.theta, m.s.maxiter)
    return m, f


def fit_candidates(name: str, data: PanelData, base: Settings, candidates: list[dict] | None,
                   experiments=None, cv: dict | None = None, starts=None,
                   prior_from=None) -> ModelResult:
    """Fit every candidate form, score it, and choose the lowest out-of-sample NRMSE.

    Each candidate row holds in-sample NRMSE/MAPE, CV NRMSE/MAPE and DECOMP.RSSD
    (Robyn's share-of-effect vs share-of-spend distance) side by side.
    """
    t0 = time.perf_counter()
    cv = {"folds": 3, "horizon_weeks": 13, "refit": "local", "n_starts": 2, **(cv or {})}
    rows, fits = [], []
    spend = data.spend.sum(axis=(0, 1))
    for i, cand in enumerate(candidates or [{}]):
        s = replace(base, **{k: v for k, v in cand.items() if k != "bounds"})
        prior = curve_prior(prior_from, data, s) if prior_from is not None else None
        m, f, sigma = fit_one(data, s, experiments, starts, prior)
        contrib = m.contributions(f).sum(axis=(0, 1))
        cvm = cross_validate(data, s, f.theta, experiments, sigma, cv["folds"],
                             cv["horizon_weeks"], cv["refit"], cv["n_starts"], model=m)
        y_nat, fit_nat = _national(data.y), _national(f.fitted)
        rows.append({
            "candidate_id": i + 1, "adstock": s.adstock, "saturation": s.saturation,
            "ridge": s.ridge, "l_max": s.l_max,
            "nrmse_train": nrmse(y_nat, fit_nat), "mape_train": mape(y_nat, fit_nat),
            "nrmse_oos": cvm["nrmse_oos"], "mape_oos": cvm["mape_oos"],
            "decomp_rssd": decomp_rssd(contrib, spend), "objective": f.objective,
        })
        fits.append((m, f, s, cvm))
    table = pd.DataFrame(rows)
    key = table["nrmse_oos"].fillna(table["nrmse_train"])
    best = int(np.lexsort((table["decomp_rssd"].to_numpy(), key.to_numpy()))[0])
    table["is_chosen"] = np.arange(len(table)) == best
    m, f, s, cvm = fits[best]
    r = table.iloc[best]
    metrics = {"nrmse_train": r.nrmse_train, "mape_train": r.mape_train,
               "nrmse_oos": r.nrmse_oos, "mape_oos": r.mape_oos,
               "decomp_rssd": r.decomp_rssd, "n_oos_weeks": cvm.get("n_oos_weeks", 0),
               "r2_train": 1 - np.sum((_national(data.y) - _national(f.fitted)) ** 2)
               / np.sum((_national(data.y) - _national(data.y).mean()) ** 2)}
    return ModelResult(name, data, s, m, f, table, metrics, time.perf_counter() - t0)


def block_indices(T: int, block: int, rng: np.random.Generator) -> np.ndarray:
    """Moving-block resample of week indices: blocks of ``block`` consecutive weeks
    starting at uniform positions, concatenated and cut to ``T``."""
    n_blocks = -(-T // block)
    starts = rng.integers(0, T - block + 1, size=n_blocks)
    return (starts[:, None] + np.arange(block)[None, :]).ravel()[:T]


def bootstrap(res: ModelResult, n: int = 100, block: int = 8, seed: int = 1,
              maxiter: int = 25, window=None) -> dict:
    """Moving-block residual bootstrap, refitting every replicate.

    ``y* = yhat + e[idx]`` with ``idx`` moving blocks of weeks (the same weeks for
    every series, keeping cross-market correlation; media and controls stay in
    time order so adstock is intact). Each replicate is refitted (nonlinear
    parameters by L-BFGS-B from the point estimate, linear part exactly) and its
    contribution, incremental revenue, ROI and marginal ROI per channel and
    country recorded. Percentiles of the draws give the intervals.
    """
    data, fit = res.data, res.fit
    rng = np.random.default_rng(seed)
    resid = data.y - fit.fitted
    countries = sorted(set(data.group_country))
    masks = {k: np.array([c == k for c in data.group_country]) for k in countries}
    out = {k: {q: np.zeros((n, len(data.channels))) for q in
               ("contribution", "incremental", "roi", "mroi")} for k in countries}
    for b in range(n):
        idx = block_indices(data.n_weeks, block, rng)
        yb = fit.fitted + resid[:, idx]
        m = res.model.like(data.with_y(yb))
        fb = m.refine(fit.theta, maxiter)
        contrib = m.contributions(fb)
        for k in countries:
            resp = m.response(fb, window, masks[k])
            for c in range(len(data.channels)):
                out[k]["contribution"][b, c] = contrib[masks[k], :, c].sum()
                out[k]["incremental"][b, c] = resp.revenue(c, 1.0)
                out[k]["roi"][b, c] = resp.roi(c)
                out[k]["mroi"][b, c] = resp.marginal_roi(c)
    out["method"] = "bootstrap"
    return out


def hac_lags(T: int) -> int:
    """Newey-West's rule of thumb for the Bartlett kernel: ``floor(4 (T / 100)^(2/9))``."""
    return int(np.floor(4.0 * (T / 100.0) ** (2.0 / 9.0)))


def driscoll_kraay_meat(scores: np.ndarray, lags: int) -> np.ndarray:
    """``sum_{|l| <= L} (1 - |l| / (L + 1)) sum_t s_t s_{t-l}'`` over weekly scores
    ``s_t`` (T, p) that already sum every series' rows of week ``t``: robust to
    correlation across series in a week and, through the Bartlett lags, across weeks
    (Driscoll and Kraay 1998)."""
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        g = scores[lag:].T @ scores[:-lag]
        meat += (1.0 - lag / (lags + 1.0)) * (g + g.T)
    return meat


def _gauss_newton(res: ModelResult, inflate: float = 1.0, robust: str = "none"):
    """Mean and covariance of ``(theta, beta)`` from the Gauss-Newton approximation.

    The residual ``r(theta, beta)`` after projecting out the controls and series
    means has Jacobian ``J = [beta_c dF_c/dtheta_cp | F_c]`` (projected the same
    way); ``H = J'J / s^2`` with ``s^2 = inflate^2 SSR / (N - K - G - C (P + 1))``,
    plus the prior precision when the fit has one; ``cov = H^+``. With split rows
    (:meth:`MMM._compile_split`) their Jacobian is stacked below and the own-part
    coefficients ``delta`` follow ``beta``. Returns ``(mean, cov)``.
    """
    fit, m = res.fit, res.model
    C, P, G, T = m.C, m.P, m.G, m.T
    feats, dF = m.features(fit.theta, with_grad=True)

    def project(X):  # (G, T, k) -> residual-space columns (N + K, k)
        X = X / m.shape[:, :, None]
        Xd = (X - X.mean(axis=1, keepdims=True)).reshape(m.N, -1)
        return np.vstack([Xd, np.zeros((m.K, Xd.shape[1]))]) - m.q @ (m.qm.T @ Xd)

    cols_beta = project(feats[:, :T])
    J = np.hstack([project((dF[:, :T] * fit.beta[None, None, :, None]).reshape(G, T, C * P)), cols_beta,
                   np.zeros((m.N + m.K, m.E))])
    n_nuis = 0
    if m.E:   # split rows: curve columns through delta, own-part columns for delta
        sp = m.split
        B = len(sp["g"])
        d = m.split_columns(dF)                                   # (B, T, E, P)
        Jt = np.zeros((B * T, C * P))
        for e, c in enumerate(sp["chan"]):
            Jt[:, c * P:(c + 1) * P] = (fit.split_coef[e] * d[:, :, e, :]).reshape(B * T, P)
        J = np.vstack([J, np.hstack([Jt, np.zeros((B * T, C)), m.split_columns(feats).reshape(B * T, m.E)])])
        n_nuis = 3 * B + m.E
    sol = m.solve(fit.theta, feats)
    ssr = sol.ssr
    s2 = inflate ** 2 * ssr / max(m.N + m.n_split_rows - m.K - G - C * (P + 1) - n_nuis, 1)
    info = J.T @ J / s2
    prior = np.zeros_like(info)
    if m.prior is not None:   # posterior information = data + prior precision
        prior[: C * P, : C * P] = m.prior[1]
    cov = np.linalg.pinv(info + prior, rcond=1e-10, hermitian=True)
    if robust == "driscoll_kraay":
        # sandwich H^-1 V H^-1: V = weekly-score meat / s^4 + prior precision (the
        # prior is taken as it is); with independent, equal-variance residuals V = H
        r = sol.residual
        r_rows = r[: m.N]
        scores = (J[: m.N] * r_rows[:, None]).reshape(G, T, -1).sum(axis=0)
        if m.E:
            rs = r[len(r) - m.n_split_rows:]
            scores += (J[m.N + m.K:] * rs[:, None]).reshape(-1, T, J.shape[1]).sum(axis=0)
        meat = driscoll_kraay_meat(scores, hac_lags(T)) * inflate ** 2 / (s2 * s2)
        cov = cov @ (meat + prior) @ cov
    elif robust != "none":
        raise ValueError(f"unknown robust covariance {robust!r}")
    mean = np.concatenate([fit.theta.ravel(), fit.beta] + ([fit.split_coef] if m.E else []))
    return mean, 0.5 * (cov + cov.T)


def laplace(res: ModelResult, n: int = 200, seed: int = 1, inflate: float = 1.0, window=None,
            robust: str = "none") -> dict:
    """Parameter-uncertainty draws from the Laplace (Gauss-Newton) approximation
    (:func:`_gauss_newton`).

    ``(theta, beta) ~ N(estimate, cov)``; each draw is clipped to the parameter
    bounds and ``beta >= 0`` and pushed through the response (no refit, so hundreds
    of draws cost less than one fit). Unlike the local bootstrap refit, this carries
    the joint uncertainty of carryover, saturation and scale, which is what dominates
    ROI uncertainty when the likelihood is flat along curve shapes. Returns the same
    structure as :func:`bootstrap`.
    """
    data, fit, m = res.data, res.fit, res.model
    C, P, T = m.C, m.P, m.T
    mean, cov = _gauss_newton(res, inflate, robust)
    w, V = np.linalg.eigh(cov)
    root = V * np.sqrt(np.clip(w, 0.0, None))
    rng = np.random.default_rng(seed)
    lo, hi = np.array(m.bounds()).T
    countries = sorted(set(data.group_country))
    masks = {k: np.array([c == k for c in data.group_country]) for k in countries}
    out = {k: {q: np.zeros((n, C)) for q in ("contribution", "incremental", "roi", "mroi")}
           for k in countries}
    for i in range(n):
        d = mean + root @ rng.standard_normal(len(mean))
        th = np.clip(d[: C * P], lo, hi).reshape(C, P)
        be = np.clip(d[C * P:C * P + C], 0.0, None)
        fb = replace(fit, theta=th, beta=be)
        F = m.features(th)[:, :T, :]
        for k in countries:
            contrib = (F[masks[k]] * be[None, None, :] * m.y_scale[masks[k], None, None]).sum(axis=(0, 1))
            resp = m.response(fb, window, masks[k])
            for c in range(C):
                out[k]["contribution"][i, c] = contrib[c]
                out[k]["incremental"][i, c] = resp.revenue(c, 1.0)
                out[k]["roi"][i, c] = resp.roi(c)
                out[k]["mroi"][i, c] = resp.marginal_roi(c)
    out["method"] = "laplace"
    return out


def curve_covariance(res: ModelResult, inflate: float = 1.0) -> np.ndarray:
    """Laplace covariance of the curve parameters ``theta`` (C*P, C*P) of a fit."""
    m = res.model
    return _gauss_newton(res, inflate)[1][: m.C * m.P, : m.C * m.P]


def curve_prior(donor: tuple, data: PanelData, settings: Settings):
    """Prior for ``data``'s curve parameters from another country's fitted panel.

    ``donor = (ModelResult, theta covariance, inflate)``. The curves are assumed the
    same per capita across countries (the same channels, creative and buying), so
    the donor's posterior ``N(theta_d, Sigma_d)`` becomes the prior: the Laplace
    approximation of a joint fit with shared curves. Half-saturation is in units of
    the pooled per-capita mean spend, so it is converted by the ratio of the two
    countries' per-capita spend (``lam`` by its inverse); carryover and slope carry
    over as they are. Channels the donor lacks get no prior. Returns ``(mu, Lambda)``
    or ``None`` when the forms differ or the panels are not per capita.
    """
    res, cov, inflate = donor
    ds = res.settings
    if (ds.adstock, ds.saturation, ds.l_max, ds.normalize_adstock) != \
            (settings.adstock, settings.saturation, settings.l_max, settings.normalize_adstock):
        return None
    dd = res.data
    if dd.group_size is None or data.group_size is None:
        return None
    names = settings.param_names()
    P, C = len(names), len(data.channels)
    pc_d = dd.spend.sum(axis=(0, 1)) / np.sum(dd.group_size)
    pc_r = data.spend.sum(axis=(0, 1)) / np.sum(data.group_size)
    mu = np.zeros(C * P)
    prec = np.zeros((C * P, C * P))
    rows, src = [], []
    for k, ch in enumerate(data.channels):
        if ch not in dd.channels or pc_r[k] <= 0:
            continue
        j = dd.channels.index(ch)
        conv = np.ones(P)
        if "half_sat" in names:
            conv[names.index("half_sat")] = pc_d[j] / pc_r[k]
        if "lam" in names:
            conv[names.index("lam")] = pc_r[k] / pc_d[j]
        mu[k * P:(k + 1) * P] = res.fit.theta[j] * conv
        rows.append((k, conv))
        src.append(j)
    if not rows:
        return None
    idx_r = np.concatenate([np.arange(k * P, (k + 1) * P) for k, _ in rows])
    idx_d = np.concatenate([np.arange(j * P, (j + 1) * P) for j in src])
    scale = np.concatenate([conv for _, conv in rows])
    sub = cov[np.ix_(idx_d, idx_d)] * np.outer(scale, scale) * inflate ** 2
    sub_prec = np.linalg.pinv(0.5 * (sub + sub.T), rcond=1e-10, hermitian=True)
    prec[np.ix_(idx_r, idx_r)] = sub_prec
    return mu, prec
