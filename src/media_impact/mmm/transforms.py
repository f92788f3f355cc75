"""Media transforms: carryover (adstock) and diminishing returns (saturation).

Each function is pure, works on a 1-D array of weekly spend (or a 2-D array with
weeks in axis 0), and states its formula. Conventions used across the package:

* Adstock weights ``w_0..w_{L-1}`` (``L = l_max``) spread week ``t``'s spend over
  weeks ``t..t+L-1``. With ``normalize=True`` the weights sum to one, so adstock
  redistributes spend over time without changing its total (PyMC-Marketing's
  ``normalize=True``); with ``normalize=False`` week ``t`` keeps weight 1.
* Spend before the first week is taken as zero; carryover past the last week is
  not in the output unless the caller pads the input with zeros (the model does,
  so that incremental revenue counts the carryover tail).
* Saturation is applied to adstocked spend already divided by a per-channel
  scale (the model uses the channel's mean weekly spend), so ``half_sat`` and
  ``lam`` are in units of "typical week".
"""
from __future__ import annotations

import numpy as np
from scipy.signal import lfilter


def geometric_weights(alpha: float, l_max: int, normalize: bool = True) -> np.ndarray:
    """Geometric weights ``w_l = alpha**l`` for ``l = 0..l_max-1``.

    Normalised: ``w_l = alpha**l / sum_k alpha**k``.
    """
    w = np.power(float(alpha), np.arange(l_max, dtype=float))
    return w / w.sum() if normalize else w


def weibull_weights(shape: float, scale: float, l_max: int, kind: str = "pdf",
                    normalize: bool = True) -> np.ndarray:
    """Weibull adstock weights over lags ``l = 0..l_max-1`` (Robyn's two forms).

    * ``kind="cdf"``: ``w_l = exp(-(l / (scale*l_max))**shape)`` (1 at lag 0, then
      decays; shape < 1 decays fast then slowly, shape > 1 holds then drops).
    * ``kind="pdf"``: ``w_l = (k/s) (x/s)**(k-1) exp(-(x/s)**k)`` at
      ``x = l + 1``, ``s = scale*l_max``, ``k = shape`` (allows a delayed peak).

    With ``normalize=True`` the weights are divided by their sum; otherwise the
    pdf form is divided by its maximum so the peak week has weight 1.
    """
    lags = np.arange(l_max, dtype=float)
    s = max(float(scale) * l_max, 1e-9)
    if kind == "cdf":
        w = np.exp(-np.power(lags / s, shape))
    elif kind == "pdf":
        x = (lags + 1.0) / s
        w = (shape / s) * np.power(x, shape - 1.0) * np.exp(-np.power(x, shape))
    else:
        raise ValueError(f"unknown weibull kind {kind!r}")
    total = w.sum()
    if total <= 0 or not np.isfinite(total):
        w = np.zeros(l_max)
        w[0] = 1.0
        return w
    if normalize:
        return w / total
    return w / w.max()


def convolve_adstock(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Adstock by a finite lag kernel: ``a_t = sum_{l=0}^{L-1} w_l x_{t-l}``.

    ``x`` may be 1-D (weeks) or 2-D (weeks x series); spend before week 0 is 0.
    """
    x = np.asarray(x, dtype=float)
    return lfilter(np.asarray(weights, dtype=float), [1.0], x, axis=0)


def geometric_adstock(x: np.ndarray, alpha: float, l_max: int = 8,
                      normalize: bool = True) -> np.ndarray:
    """Geometric adstock truncated at ``l_max`` weeks.

    ``a_t = sum_{l=0}^{l_max-1} w_l x_{t-l}`` with ``w_l = alpha**l`` (divided by
    ``sum_l alpha**l`` when ``normalize``). ``alpha`` is the share of the effect
    that carries into the next week.
    """
    return convolve_adstock(x, geometric_weights(alpha, l_max, normalize))


def weibull_adstock(x: np.ndarray, shape: float, scale: float, l_max: int = 8,
                    kind: str = "pdf", normalize: bool = True) -> np.ndarray:
    """Weibull adstock: ``a_t = sum_l w_l x_{t-l}`` with :func:`weibull_weights`."""
    return convolve_adstock(x, weibull_weights(shape, scale, l_max, kind, normalize))


def hill(x: np.ndarray, half_sat: float, slope: float) -> np.ndarray:
    """Hill saturation ``x**s / (x**s + k**s)``; ``k`` = half-saturation point.

    Returns 0 at ``x = 0``, 0.5 at ``x = k``, tends to 1. ``s > 1`` is S-shaped,
    ``s <= 1`` is concave.
    """
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    xs = np.power(x, slope)
    return xs / (xs + np.power(half_sat, slope))


def logistic(x: np.ndarray, lam: float) -> np.ndarray:
    """Logistic saturation (PyMC-Marketing): ``(1 - e^{-lam x}) / (1 + e^{-lam x})``.

    Equals ``tanh(lam x / 2)``: 0 at 0, concave, tends to 1.
    """
    return np.tanh(0.5 * np.asarray(lam, dtype=float) * np.asarray(x, dtype=float))


def hill_derivative(x: np.ndarray, half_sat: float, slope: float) -> np.ndarray:
    """d/dx of :func:`hill`: ``s k^s x^(s-1) / (x^s + k^s)^2``."""
    x = np.maximum(np.asarray(x, dtype=float), 1e-300)
    ks = np.power(half_sat, slope)
    xs = np.power(x, slope)
    return slope * ks * xs / x / np.square(xs + ks)


def logistic_derivative(x: np.ndarray, lam: float) -> np.ndarray:
    """d/dx of :func:`logistic`: ``(lam/2) (1 - tanh^2(lam x / 2))``."""
    lam = np.asarray(lam, dtype=float)
    t = np.tanh(0.5 * lam * np.asarray(x, dtype=float))
    return 0.5 * lam * (1.0 - t * t)
