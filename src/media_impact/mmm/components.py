"""The model's media components: carryover (adstock) and diminishing returns (saturation).

Each form is one small class with a ``lookup_name``, its parameter names and default
search bounds, and its formula with the derivatives the fit needs, evaluated for every
channel at once (``theta`` / ``p``: one row of parameters per channel, broadcast over
the last axis of the data). The registries map names to classes, so a new form is one
class here and its test (tests/python/mmm/test_components.py), nothing else::

    ADSTOCKS = {cls.lookup_name: cls for cls in (GeometricAdstock, ...)}

The scalar formulas themselves live once, in :mod:`media_impact.mmm.transforms`.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from . import transforms as tf


class Adstock:
    """Lag weights ``w_0..w_{L-1}`` per channel; adstock ``a_t = sum_l w_l x_{t-l}``."""

    lookup_name: ClassVar[str]
    params: ClassVar[tuple]
    bounds: ClassVar[dict]

    def __init__(self, l_max: int, normalize: bool = True):
        self.L, self.normalize = int(l_max), bool(normalize)

    def weight(self, theta_c) -> np.ndarray:
        """(L,) weights of one channel's parameters ``theta_c`` (n_params,)."""
        raise NotImplementedError

    def weights(self, theta) -> np.ndarray:
        """(C, L) weights for parameters ``theta`` (C, n_params)."""
        return np.stack([self.weight(t) for t in np.atleast_2d(theta)])

    def weights_grad(self, theta, bounds: dict) -> np.ndarray:
        """(C, L, n_params) ``dW/dtheta`` by central differences inside ``bounds`` (exact
        to ~1e-10; the weights are cheap). Forms with a closed form override it."""
        theta = np.atleast_2d(np.asarray(theta, float))
        C, n = theta.shape
        out = np.zeros((C, self.L, n))
        for c in range(C):
            for p, name in enumerate(self.params):
                lo, hi = bounds[name]
                h = 1e-6 * max(1.0, abs(theta[c, p]))
                up, dn = theta[c].copy(), theta[c].copy()
                up[p], dn[p] = min(theta[c, p] + h, hi), max(theta[c, p] - h, lo)
                out[c, :, p] = (self.weight(up) - self.weight(dn)) / (up[p] - dn[p])
        return out


class GeometricAdstock(Adstock):
    """``w_l = alpha^l`` (divided by ``sum_k alpha^k`` when normalised); ``alpha`` is the
    share of the effect that carries into the next week."""

    lookup_name = "geometric"
    params = ("alpha",)
    bounds = {"alpha": (0.0, 0.9)}

    def weight(self, theta_c):
        return tf.geometric_weights(float(theta_c[0]), self.L, self.normalize)

    def weights(self, theta):
        return self._pw(theta)[0]

    def weights_grad(self, theta, bounds=None):
        return self._pw(theta)[1][:, :, None]

    def _pw(self, theta):
        """``(W, dW/dalpha)`` (C, L): ``d(a^l)/da = l a^(l-1)``, then the quotient rule."""
        a = np.atleast_2d(np.asarray(theta, float))[:, :1]
        lags = np.arange(self.L, dtype=float)[None, :]
        pw = np.power(a, lags)
        dpw = lags * np.power(a, np.maximum(lags - 1.0, 0.0))
        if not self.normalize:
            return pw, dpw
        S, dS = pw.sum(axis=1, keepdims=True), dpw.sum(axis=1, keepdims=True)
        return pw / S, (dpw * S - pw * dS) / (S * S)


class _WeibullAdstock(Adstock):
    kind: ClassVar[str]
    params = ("shape", "scale")
    bounds = {"shape": (0.5, 5.0), "scale": (0.05, 0.8)}

    def weight(self, theta_c):
        return tf.weibull_weights(float(theta_c[0]), float(theta_c[1]), self.L, self.kind, self.normalize)


class WeibullCDFAdstock(_WeibullAdstock):
    """Robyn's Weibull CDF form (see :func:`transforms.weibull_weights`)."""

    lookup_name = "weibull_cdf"
    kind = "cdf"


class WeibullPDFAdstock(_WeibullAdstock):
    """Robyn's Weibull PDF form, which allows a delayed peak (:func:`transforms.weibull_weights`)."""

    lookup_name = "weibull_pdf"
    kind = "pdf"


class Saturation:
    """Saturation ``f(A; p)`` of adstocked scaled spend ``A`` (..., C), parameters ``p`` (C, n)."""

    lookup_name: ClassVar[str]
    params: ClassVar[tuple]
    bounds: ClassVar[dict]

    def value(self, A, p) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, A, p) -> np.ndarray:
        """``df/dA``."""
        raise NotImplementedError

    def value_and_grads(self, A, p):
        """``(f, df/dA, df/dp)`` with ``df/dp`` (..., C, n)."""
        raise NotImplementedError


class HillSaturation(Saturation):
    """``f = A^s / (A^s + k^s)``: 0 at no spend, 1/2 at the half-saturation ``k``,
    S-shaped for ``s > 1``. ``df/dk = -f (1 - f) s / k``, ``df/ds = f (1 - f) ln(A / k)``."""

    lookup_name = "hill"
    params = ("half_sat", "slope")
    bounds = {"half_sat": (0.1, 3.0), "slope": (0.5, 3.0)}

    def value(self, A, p):
        p = np.atleast_2d(p)
        return tf.hill(A, p[:, 0], p[:, 1])

    def derivative(self, A, p):
        p = np.atleast_2d(p)
        return tf.hill_derivative(A, p[:, 0], p[:, 1])

    def value_and_grads(self, A, p):
        p = np.atleast_2d(p)
        k, s = p[:, 0], p[:, 1]
        F = self.value(A, p)
        Ap = np.maximum(A, 0.0)
        pos = Ap > 0
        with np.errstate(divide="ignore"):
            logr = np.where(pos, np.log(np.where(pos, Ap, 1.0)) - np.log(k), 0.0)
        q = F * (1.0 - F)
        dfda = np.where(pos, q * s / np.where(pos, Ap, 1.0), 0.0)
        return F, dfda, np.stack([-q * s / k, q * logr], axis=-1)


class LogisticSaturation(Saturation):
    """PyMC-Marketing's ``f = (1 - e^{-lam A}) / (1 + e^{-lam A}) = tanh(lam A / 2)``;
    ``df/dA = (lam / 2)(1 - f^2)``, ``df/dlam = (A / 2)(1 - f^2)``."""

    lookup_name = "logistic"
    params = ("lam",)
    bounds = {"lam": (0.05, 8.0)}

    def value(self, A, p):
        return tf.logistic(A, np.atleast_2d(p)[:, 0])

    def derivative(self, A, p):
        return tf.logistic_derivative(A, np.atleast_2d(p)[:, 0])

    def value_and_grads(self, A, p):
        lam = np.atleast_2d(p)[:, 0]
        F = self.value(A, p)
        t2 = 1.0 - F * F
        return F, 0.5 * lam * t2, (0.5 * A * t2)[..., None]


ADSTOCKS = {cls.lookup_name: cls for cls in (GeometricAdstock, WeibullCDFAdstock, WeibullPDFAdstock)}
SATURATIONS = {cls.lookup_name: cls for cls in (HillSaturation, LogisticSaturation)}
DEFAULT_BOUNDS = {k: v for reg in (ADSTOCKS, SATURATIONS) for cls in reg.values() for k, v in cls.bounds.items()}


def adstock(name: str, l_max: int, normalize: bool = True) -> Adstock:
    """The registered adstock ``name``."""
    if name not in ADSTOCKS:
        raise ValueError(f"unknown adstock {name!r}; known: {', '.join(sorted(ADSTOCKS))}")
    return ADSTOCKS[name](l_max, normalize)


def saturation(name: str) -> Saturation:
    """The registered saturation ``name``."""
    if name not in SATURATIONS:
        raise ValueError(f"unknown saturation {name!r}; known: {', '.join(sorted(SATURATIONS))}")
    return SATURATIONS[name]()


def param_names(adstock_name: str, saturation_name: str) -> tuple:
    """Per-channel parameter names: the adstock's, then the saturation's."""
    for name, reg in ((adstock_name, ADSTOCKS), (saturation_name, SATURATIONS)):
        if name not in reg:
            raise ValueError(f"unknown form {name!r}; known: {', '.join(sorted(reg))}")
    return ADSTOCKS[adstock_name].params + SATURATIONS[saturation_name].params
