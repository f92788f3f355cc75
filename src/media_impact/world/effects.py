"""Media response functions of the sample world: geometric adstock and Hill saturation.

Conventions (the truth tables use exactly these):

* Time runs weekly; ``spend`` is USD per market-week, first axis = weeks.
* Geometric adstock, normalised, truncated at ``max_lag`` weeks::

      adstock_t = sum_{l=0..L} decay^l * spend_{t-l} / sum_{l=0..L} decay^l ,  L = max_lag

  Weeks before the window count as zero spend (the world starts with no carryover).
* Hill saturation on adstocked spend per 1,000 population ``z`` (USD per 1k pop per week)::

      hill(z) = z^slope / (z^slope + half_sat^slope)

* Revenue effect of a channel in a market-week::

      effect_usd = population_k * effect_max * hill(adstock_t / population_k)

  ``effect_max`` is in USD per 1k population per week (the asymptote).
"""
from __future__ import annotations

import numpy as np


def geometric_weights(decay: float, max_lag: int) -> np.ndarray:
    """Normalised geometric lag weights w_l = decay^l / sum_k decay^k, l = 0..max_lag."""
    raw = decay ** np.arange(max_lag + 1, dtype=float)
    return raw / raw.sum()


def geometric_adstock(spend: np.ndarray, decay: float, max_lag: int) -> np.ndarray:
    """Normalised truncated geometric adstock along axis 0 (weeks).

    adstock_t = sum_{l=0..max_lag} w_l * spend_{t-l}, with w = geometric_weights(decay, max_lag)
    and spend_{t<0} = 0. Works on any array whose first axis is time.
    """
    spend = np.asarray(spend, dtype=float)
    weights = geometric_weights(decay, max_lag)
    out = np.zeros_like(spend)
    n = spend.shape[0]
    for lag, weight in enumerate(weights):
        if lag >= n:
            break
        out[lag:] += weight * spend[: n - lag]
    return out


def hill(z: np.ndarray, half_sat: float, slope: float) -> np.ndarray:
    """Hill saturation z^slope / (z^slope + half_sat^slope); 0 at z = 0, 0.5 at z = half_sat."""
    z = np.maximum(np.asarray(z, dtype=float), 0.0)
    zs = z**slope
    return zs / (zs + half_sat**slope)


def channel_effect_usd(
    spend_usd: np.ndarray,
    population_k: np.ndarray,
    decay: float,
    max_lag: int,
    half_sat: float,
    slope: float,
    effect_max: np.ndarray | float,
) -> np.ndarray:
    """Weekly revenue effect (USD) of one channel, shape (weeks, markets).

    effect_{t,m} = population_k_m * effect_max_m * hill(adstock(spend)_{t,m} / population_k_m)
    """
    adstocked = geometric_adstock(spend_usd, decay, max_lag)
    z = adstocked / population_k[None, :]
    return population_k[None, :] * np.asarray(effect_max, dtype=float) * hill(z, half_sat, slope)
