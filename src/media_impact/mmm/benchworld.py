"""A second world generator for MMM robustness: weekly national worlds with known truth.

Separate from the sample world (``media_impact.world``, not imported) and not tuned
to the model: the shapes below are not the model's forms (delayed carryover is not a
Weibull kernel, the baseline is multiplicative, events lift it by a share, residuals
are AR(1)). Every draw comes from ``numpy.random.default_rng(seed)``, so a seed fixes
the world bit for bit. ``U`` is uniform, ``U{a..b}`` uniform on integers, ``logU``
log-uniform.

* weeks ``T ~ U{104..208}``, Mondays from 2021-01-04; channels ``C ~ U{3..8}``,
  distinct names drawn from ``CHANNELS``.
* spend plan per channel, kind ~ U{always_on, flighted, burst, correlated}, a
  nonnegative shape with mean 1 times the channel's mean weekly spend
  ``logU(5e3, 3e5)`` USD (a factor up to 60 between channels):
  always_on ``exp(drift) * (1 + N(0, 0.15))``, drift a random walk with steps
  N(0, 0.03); flighted: alternating off/on blocks of ``U{2..8}`` weeks, on-weeks
  ``logN(0, 0.2)``; burst: ``U{3..6}`` bursts of ``U{1..3}`` weeks at ``logN(0, 0.3)``,
  zero elsewhere; correlated: with p=1/2 another (non-correlated) channel's shape
  times ``logN(0, 0.3)``, else the world's shared seasonal budget factor
  ``1 + U(0.3, 0.8) cos(2 pi t / 52.18 + phase)`` times ``logN(0, 0.2)``.
* carryover, kind ~ U{geometric, delayed}, max lag ``L ~ U{8..12}``, lags ``0..L``:
  geometric ``w_l = alpha^l``; delayed ``w_l = alpha^((l - theta)^2)`` with peak
  ``theta ~ U{1..3}``; ``alpha ~ U(0.1, 0.8)``; weights sum to 1; spend before the
  first week is zero.
* Hill saturation of the adstock ``x``: ``x^k / (x^k + K^k)``, slope ``k ~ U(0.8, 2.5)``,
  half-saturation ``K = logU(0.3, 3) * mean adstock over weeks with spend``.
* media: ``sum_c beta_c hill_c``. Media share ``S ~ U(0.10, 0.35)`` of
  baseline + media over the observed weeks, split over channels by
  ``Dirichlet(1.5, ..., 1.5)``; total media / total spend ``logU(0.5, 5)`` fixes the
  revenue scale, then each ``beta_c`` hits its share.
* baseline (multiplicative): ``level * trend * exp(season) * price^-e * prod_k (1 + lift_k event_k)``;
  trend ``1 + g1 u + g2 u^2`` (u = t / T), ``g1 ~ U(-0.2, 0.3)``, ``g2 = 0`` (p=1/2,
  linear) else ``U(-0.15, 0.15)``; season: 1 or 2 Fourier pairs, ``A_1 ~ U(0.02, 0.15)``,
  ``A_2 = U(0, 0.5) A_1``, random phases; price index ``exp(p_t)``, ``p_t = 0.95 p_{t-1}
  + N(0, 0.015)``, elasticity ``e ~ U(0.5, 2)``; events ``U{2..4}``, each a 0/1 flag
  over ``U{1..4}`` weeks from a uniform start, lift ``+-U(0.05, 0.25)`` (random sign).
* noise: AR(1) Gaussian, marginal sd ``U(0.02, 0.06)`` times mean(baseline + media),
  ``rho ~ U(0, 0.3)``. revenue = baseline + media + noise.

Truth (same functions, spend padded with zeros for 12 weeks so carryover after the last
week counts): incremental revenue of c = sum of media with all spend minus media with
c's spend zeroed; ``true_roi`` = incremental / spend; ``true_marginal_roi`` = (incremental
at 1.01 x c's spend - incremental at 1.0 x) / (0.01 x spend).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

CHANNELS = ["tv", "search", "social", "display", "video", "audio", "ooh", "affiliate"]
PLANS = ["always_on", "flighted", "burst", "correlated"]
PAD = 12          # >= every max lag: the carryover tail after the last week
YEAR = 52.18


@dataclass
class BenchWorld:
    seed: int
    weeks: pd.DatetimeIndex
    channels: list
    spend: np.ndarray            # (T, C) USD
    price: np.ndarray            # (T,)
    events: np.ndarray           # (T, k) 0/1
    baseline: np.ndarray         # (T,)
    media: np.ndarray            # (T, C) contribution in the observed weeks
    noise: np.ndarray            # (T,)
    revenue: np.ndarray          # (T,)
    params: list                 # per channel: dict of the true parameters
    truth: pd.DataFrame
    world_meta: dict = field(default_factory=dict)


def carryover_weights(kind: str, alpha: float, max_lag: int, theta: int = 0) -> np.ndarray:
    lags = np.arange(max_lag + 1, dtype=float)
    w = alpha ** lags if kind == "geometric" else alpha ** ((lags - theta) ** 2)
    return w / w.sum()


def adstock(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.convolve(s, w)[: len(s)]


def hill(x: np.ndarray, half_sat: float, slope: float) -> np.ndarray:
    xk = np.power(np.maximum(x, 0.0), slope)
    return xk / (xk + half_sat ** slope)


def media_matrix(spend: np.ndarray, params: list) -> np.ndarray:
    """(weeks, C) media contribution ``beta_c hill_c(adstock_c(spend_c))``."""
    out = np.zeros(spend.shape)
    for c, p in enumerate(params):
        w = carryover_weights(p["adstock"], p["alpha"], p["max_lag"], p["theta"])
        out[:, c] = p["beta"] * hill(adstock(spend[:, c], w), p["half_sat"], p["slope"])
    return out


def incremental(spend: np.ndarray, params: list, c: int, mult: float = 1.0) -> float:
    """Media revenue (tail included) with c's spend times ``mult`` minus with it zeroed."""
    padded = np.vstack([spend, np.zeros((PAD, spend.shape[1]))])
    on, off = padded.copy(), padded.copy()
    on[:, c] *= mult
    off[:, c] = 0.0
    return float(media_matrix(on, params).sum() - media_matrix(off, params).sum())


def _plan(rng, kind: str, T: int, sources: list, seasonal: np.ndarray) -> np.ndarray:
    if kind == "always_on":
        drift = np.cumsum(rng.normal(0, 0.03, T))
        x = np.exp(drift) * (1 + rng.normal(0, 0.15, T))
    elif kind == "flighted":
        x, t, on = np.zeros(T), 0, bool(rng.integers(2))
        while t < T:
            n = int(rng.integers(2, 9))
            if on:
                x[t:t + n] = rng.lognormal(0, 0.2, len(x[t:t + n]))
            t, on = t + n, not on
    elif kind == "burst":
        x = np.zeros(T)
        for _ in range(int(rng.integers(3, 7))):
            t0, n = int(rng.integers(0, T)), int(rng.integers(1, 4))
            x[t0:t0 + n] += rng.lognormal(0, 0.3)
    else:   # correlated
        if sources and rng.random() < 0.5:
            x = sources[int(rng.integers(len(sources)))] * rng.lognormal(0, 0.3, T)
        else:
            x = seasonal * rng.lognormal(0, 0.2, T)
    x = np.maximum(x, 0.0)
    if x.sum() == 0:
        x[int(rng.integers(T))] = 1.0
    return x / x.mean()


def draw_world(seed: int) -> BenchWorld:
    rng = np.random.default_rng(seed)
    T, C = int(rng.integers(104, 209)), int(rng.integers(3, 9))
    weeks = pd.date_range("2021-01-04", periods=T, freq="7D")
    t = np.arange(T, dtype=float)
    channels = [str(x) for x in rng.choice(CHANNELS, C, replace=False)]
    kinds = [str(x) for x in rng.choice(PLANS, C)]
    seasonal = 1 + rng.uniform(0.3, 0.8) * np.cos(2 * np.pi * t / YEAR + rng.uniform(0, 2 * np.pi))
    sources, spend = [], np.zeros((T, C))
    for c in sorted(range(C), key=lambda c: kinds[c] == "correlated"):   # own plans first
        shape = _plan(rng, kinds[c], T, sources, seasonal)
        if kinds[c] != "correlated":
            sources.append(shape)
        spend[:, c] = np.round(shape * np.exp(rng.uniform(np.log(5e3), np.log(3e5))), 2)   # cents
    params = []
    for c in range(C):
        kind = "geometric" if rng.random() < 0.5 else "delayed"
        p = {"adstock": kind, "alpha": rng.uniform(0.1, 0.8), "max_lag": int(rng.integers(8, 13)),
             "theta": int(rng.integers(1, 4)) if kind == "delayed" else 0, "slope": rng.uniform(0.8, 2.5)}
        a = adstock(spend[:, c], carryover_weights(p["adstock"], p["alpha"], p["max_lag"], p["theta"]))
        p["half_sat"] = float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))) * a[spend[:, c] > 0].mean())
        p["beta"] = 1.0
        params.append(p)
    # baseline shape (level set below)
    g1, g2 = rng.uniform(-0.2, 0.3), (0.0 if rng.random() < 0.5 else rng.uniform(-0.15, 0.15))
    u = t / T
    trend = 1 + g1 * u + g2 * u ** 2
    n_pairs = int(rng.integers(1, 3))
    amp = [rng.uniform(0.02, 0.15)]
    amp += [amp[0] * rng.uniform(0, 0.5)] * (n_pairs - 1)
    season = sum(a * np.cos(2 * np.pi * (k + 1) * t / YEAR + rng.uniform(0, 2 * np.pi)) for k, a in enumerate(amp))
    logp = np.zeros(T)
    for i in range(T):
        logp[i] = (0.95 * logp[i - 1] if i else 0.0) + rng.normal(0, 0.015)
    price, elasticity = np.round(np.exp(logp), 4), rng.uniform(0.5, 2.0)
    k_ev = int(rng.integers(2, 5))
    events, lifts = np.zeros((T, k_ev)), []
    for k in range(k_ev):
        t0, n = int(rng.integers(0, T)), int(rng.integers(1, 5))
        events[t0:t0 + n, k] = 1.0
        lifts.append(float(rng.choice([-1, 1]) * rng.uniform(0.05, 0.25)))
    base_shape = trend * np.exp(season) * price ** -elasticity * np.prod(1 + events * np.array(lifts), axis=1)
    # scale: media = portfolio ROI x spend; baseline from the media share; beta_c from its share
    share, media_roi = rng.uniform(0.10, 0.35), np.exp(rng.uniform(np.log(0.5), np.log(5.0)))
    split = rng.dirichlet(np.full(C, 1.5))
    media_total = media_roi * spend.sum()
    baseline = base_shape * (media_total * (1 - share) / share) / base_shape.sum()
    unit = media_matrix(spend, params)
    for c, p in enumerate(params):
        p["beta"] = float(split[c] * media_total / unit[:, c].sum())
    media = media_matrix(spend, params)
    noise_share, rho = rng.uniform(0.02, 0.06), rng.uniform(0.0, 0.3)
    sd = noise_share * (baseline + media.sum(axis=1)).mean()
    z = rng.normal(0, sd, T)
    noise = np.zeros(T)
    for i in range(T):
        noise[i] = rho * noise[i - 1] + np.sqrt(1 - rho ** 2) * z[i] if i else z[i]
    revenue = np.round(baseline + media.sum(axis=1) + noise, 2)   # cents, as written
    noise = revenue - baseline - media.sum(axis=1)
    rows = []
    for c, ch in enumerate(channels):
        inc, up = incremental(spend, params, c), incremental(spend, params, c, 1.01)
        s = spend[:, c].sum()
        rows.append({"channel_id": ch, "spend_usd": s, "spend_share": s / spend.sum(),
                     "incremental_revenue_usd": inc, "true_roi": inc / s,
                     "true_marginal_roi": (up - inc) / (0.01 * s), "spend_plan": kinds[c], **params[c]})
    meta = {"seed": seed, "n_weeks": T, "n_channels": C, "noise_share": float(noise_share), "noise_rho": float(rho),
            "media_share": float(share), "media_share_realised": float(media.sum() / revenue.sum()),
            "media_roi": float(media_roi), "price_elasticity": float(elasticity), "event_lifts": lifts,
            "trend": [float(g1), float(g2)], "season_amplitudes": [float(a) for a in amp],
            "spend_plans": dict(zip(channels, kinds))}
    return BenchWorld(seed, weeks, channels, spend, price, events, baseline, media, noise, revenue,
                      params, pd.DataFrame(rows), meta)


def write_world(world: BenchWorld, folder) -> Path:
    """world.csv, world.yml (the column mapping only, as a new user writes it), truth.csv, meta.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ev = [f"event_{k + 1}" for k in range(world.events.shape[1])]
    df = pd.DataFrame({"week": world.weeks.strftime("%Y-%m-%d"), "revenue": world.revenue})
    for c, ch in enumerate(world.channels):
        df[f"spend_{ch}"] = world.spend[:, c]
    df["price_index"] = world.price
    for k, name in enumerate(ev):
        df[name] = world.events[:, k].astype(int)
    df.to_csv(folder / "world.csv", index=False)
    cfg = {"name": f"bench_world_{world.seed}",
           "data": {"path": "world.csv", "date_column": "week", "kpi_column": "revenue",
                    "spend_columns": {ch: f"spend_{ch}" for ch in world.channels},
                    "controls": ["price_index"] + ev},
           "scopes": ["national"]}
    (folder / "world.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    world.truth.to_csv(folder / "truth.csv", index=False)
    (folder / "meta.json").write_text(json.dumps(world.world_meta, indent=1))
    return folder
