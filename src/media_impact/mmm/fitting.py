"""Candidate models, time-ordered cross-validation, calibration and the bootstrap."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .design import PanelData
from .model import MMM, Fit, Settings, decomp_rssd, mape, nrmse


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
                   n_starts: int = 2) -> dict:
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
        m = MMM(data.subset_weeks(n_train), replace(settings, n_starts=n_starts),
                experiments, sigma)
        f = m.fit(starts=[theta0]) if refit == "full" else m.refine(theta0)
        pred = m.predict(f, data.subset_weeks(n_train + horizon))[:, n_train:]
        ys.append(_national(data.y[:, n_train:n_train + horizon]))
        yh.append(_national(pred))
    if not ys:
        return {"mape_oos": np.nan, "nrmse_oos": np.nan}
    y, p = np.concatenate(ys), np.concatenate(yh)
    return {"mape_oos": mape(y, p), "nrmse_oos": nrmse(y, p), "n_oos_weeks": int(len(y))}


def fit_one(data: PanelData, settings: Settings, experiments=None, starts=None) -> tuple[MMM, Fit, float | None]:
    """Fit; with experiments, first fit without them to get the residual scale ``sigma``,
    then refit with the calibration rows (warm-started from the uncalibrated optimum)."""
    m = MMM(data, settings)
    f = m.fit(starts=starts)
    if not experiments:
        return m, f, None
    resid = (data.y - f.fitted) / m.y_scale[:, None]
    sigma = float(np.sqrt(np.mean(resid ** 2)))
    mc = MMM(data, settings, experiments, sigma)
    fc = mc.fit(starts=[f.theta] + list(starts or []))
    return mc, fc, sigma


def fit_candidates(name: str, data: PanelData, base: Settings, candidates: list[dict] | None,
                   experiments=None, cv: dict | None = None, starts=None) -> ModelResult:
    """Fit every candidate form, score it, and choose the lowest out-of-sample NRMSE.

    Each candidate row holds in-sample NRMSE/MAPE, CV NRMSE/MAPE and DECOMP.RSSD
    (Robyn's share-of-effect vs share-of-spend distance) side by side.
    """
    t0 = time.perf_counter()
    cv = {"folds": 3, "horizon_weeks": 13, "refit": "full", "n_starts": 2, **(cv or {})}
    rows, fits = [], []
    spend = data.spend.sum(axis=(0, 1))
    for i, cand in enumerate(candidates or [{}]):
        s = replace(base, **{k: v for k, v in cand.items() if k != "bounds"})
        m, f, sigma = fit_one(data, s, experiments, starts)
        contrib = m.contributions(f).sum(axis=(0, 1))
        cvm = cross_validate(data, s, f.theta, experiments, sigma, cv["folds"],
                             cv["horizon_weeks"], cv["refit"], cv["n_starts"])
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
        m = MMM(data.with_y(yb), res.settings, res.model.experiments, res.model.sigma)
        fb = m.refine(fit.theta, maxiter)
        contrib = m.contributions(fb)
        for k in countries:
            resp = m.response(fb, window, masks[k])
            for c in range(len(data.channels)):
                out[k]["contribution"][b, c] = contrib[masks[k], :, c].sum()
                out[k]["incremental"][b, c] = resp.revenue(c, 1.0)
                out[k]["roi"][b, c] = resp.roi(c)
                out[k]["mroi"][b, c] = resp.marginal_roi(c)
    return out
