"""The marketing mix model: fit, decomposition and channel response.

Model for series ``g`` (the national series, or a market of a panel) and week ``t``::

    y_gt / ybar_g = a_g + sum_k gamma_k z_gtk + sum_c beta_c f_c(x_gtc / xbar_gc) + e_gt
    f_c(x) = saturation_c(adstock_c(x))

* ``ybar_g`` is the series' mean revenue and ``xbar_gc`` the channel's mean weekly
  spend in that series, so a panel pools markets of different size: the response
  is shared in relative terms, the dollars scale with each market.
* ``a_g`` is a per-series intercept (market fixed effect), removed by demeaning.
* ``z`` are controls: trend, yearly Fourier terms, holidays/events, macro
  indicators (standardised); ``gamma`` free, ``beta_c >= 0``.
* For fixed nonlinear parameters (adstock and saturation of every channel) the
  linear part is solved exactly: controls are projected out (Frisch-Waugh with a
  QR factor), then non-negative least squares for ``beta`` with ridge rows
  ``sqrt(ridge * N) * beta_c`` (features lie in [0, 1]) and calibration rows.
* The nonlinear parameters are searched by seeded multi-start L-BFGS-B with an
  envelope-theorem gradient (or differential evolution) on the penalised sum of
  squares divided by ``N``.

Calibration (experiment lifts): an experiment gives a lift ``L_e`` (USD) with
standard error ``s_e`` for channel ``c`` in a window; the model's lift for the same
spend change is ``beta_c * G_e`` (linear in ``beta_c``), so the Gaussian likelihood
term ``((beta_c G_e - L_e) / s_e)^2`` (times ``sigma^2``, the residual variance of
the uncalibrated fit) enters the least squares as one extra row.
"""
from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import differential_evolution, minimize, nnls

from . import components as comp
from . import transforms as tf
from .design import PanelData, calendar_controls

# series x weeks from which the search's starts run two at a time (scale 10's US panel:
# 18,720, 19 s instead of 23 s; the sample world's 1,872 gains nothing)
PARALLEL_SERIES_WEEKS = 10_000

DEFAULT_BOUNDS = comp.DEFAULT_BOUNDS   # each component's search bounds (components.py)


@dataclass
class Settings:
    """Model form and search settings (all configurable from YAML)."""

    adstock: str = "geometric"
    saturation: str = "hill"
    l_max: int = 8
    normalize_adstock: bool = True
    ridge: float = 1e-3
    trend: str = "linear"
    fourier_order: int = 2
    bounds: dict = field(default_factory=lambda: dict(DEFAULT_BOUNDS))
    seed: int = 20240611
    optimizer: str = "multistart"
    n_starts: int = 4
    popsize: int = 10
    maxiter: int = 200
    tol: float = 1e-6
    polish: bool = True
    calibration_weight: float = 1.0
    baseline: str = "additive"      # or "multiplicative": controls scale the baseline
    baseline_passes: int = 3        # fixed-point passes for the multiplicative baseline
    split_rows: bool = True         # use the KPI's parts (retailer sales) when the data has them
    control_scale: str = "level"    # per-capita panels: controls scaled by each market's level ("none": not)
    curve_prior: dict = field(default_factory=dict)  # {param: [mean, sd]} Gaussian prior on every channel's curve

    @classmethod
    def from_dict(cls, d: dict | None) -> "Settings":
        d = dict(d or {})
        bounds = dict(DEFAULT_BOUNDS)
        bounds.update({k: tuple(v) for k, v in (d.pop("bounds", None) or {}).items()})
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(bounds=bounds, **known)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["bounds"] = {k: list(v) for k, v in sorted(self.bounds.items())}
        return d

    def param_names(self) -> tuple:
        return comp.param_names(self.adstock, self.saturation)


@dataclass
class Experiment:
    """An experiment result used for calibration (USD, inclusive week window)."""

    channel_id: str
    start: np.datetime64
    end: np.datetime64
    lift_usd: float
    se_usd: float
    spend_change_usd: float | None = None
    groups: list | None = None  # series the test ran in; None = all
    experiment_id: str = ""


@dataclass(frozen=True)
class Solution:
    """The exact linear solve for fixed curve parameters (:meth:`MMM.solve`): the stacked
    rows ``A`` and right-hand side ``b`` (main, ridge, calibration and retailer rows),
    the coefficients ``coef = [beta, delta]``, the residual sum of squares and the
    demeaned features ``Fd`` (N, C)."""

    A: np.ndarray
    b: np.ndarray
    coef: np.ndarray
    ssr: float
    Fd: np.ndarray
    C: int

    @property
    def beta(self) -> np.ndarray:
        return self.coef[: self.C]

    @property
    def split_coef(self) -> np.ndarray:
        return self.coef[self.C:]

    @property
    def residual(self) -> np.ndarray:
        return self.b - self.A @ self.coef


@dataclass
class Fit:
    theta: np.ndarray            # (C, P) nonlinear parameters
    beta: np.ndarray             # (C,) media coefficients (relative units)
    gamma: np.ndarray            # (K,) control coefficients on raw control scale
    intercept: np.ndarray        # (G,) relative units
    fitted: np.ndarray           # (G, T) USD
    objective: float
    n_evals: int = 0
    split_coef: np.ndarray | None = None  # (E,) own-part coefficients of the split channels


class MMM:
    """A compiled model: data, settings and the pieces that do not change in a search."""

    def __init__(self, data: PanelData, settings: Settings, experiments=None,
                 sigma: float | None = None, t_ref: int | None = None,
                 shape_gamma=None, shape_center=None, split_weights=None, level=None, prior=None):
        self.data, self.s = data, settings
        G, T, C = data.spend.shape
        self.G, self.T, self.C, self.L = G, T, C, settings.l_max
        self.adstock_form = comp.adstock(settings.adstock, settings.l_max, settings.normalize_adstock)
        self.saturation_form = comp.saturation(settings.saturation)
        self.na = len(self.adstock_form.params)
        self.t_ref = t_ref or max(T - 1, 1)
        self.y_scale, self.spend_scale = data.scales()                  # (G,), (G, C)
        xs = data.spend / self.spend_scale[:, None, :]
        self.xs = np.concatenate([xs, np.zeros((G, self.L, C))], axis=1)  # padded tail
        self.lag = self._lagged(self.xs, self.L)
        self.z_raw, self.control_names = self._controls(data.weeks, data.controls)
        # a per-capita panel reads every market on one scale, but a market with 10% more
        # demand per capita has 10% larger seasonal, holiday and macro swings too: the
        # controls are scaled by the market's level (its mean revenue over its scale)
        if level is None:
            level = np.ones(G)
            if settings.control_scale == "level" and data.group_size is not None and shape_gamma is None:
                level = data.y.mean(axis=1) / self.y_scale
        self.level = np.asarray(level, float)
        self.z_raw = self.z_raw * self.level[:, None, None]
        zs = self.z_raw.reshape(G * T, -1)
        self.z_mean = zs.mean(axis=0)
        sd = zs.std(axis=0)
        self.z_sd = np.where(sd > 0, sd, 1.0)
        z = (self.z_raw - self.z_mean) / self.z_sd
        # multiplicative baseline: rows are divided by the baseline shape
        # exp((z - z0) Gamma) of the previous pass (see fitting.fit_one)
        self.shape_gamma = None if shape_gamma is None else np.asarray(shape_gamma, float)
        self.shape_center = self.z_mean if shape_center is None else np.asarray(shape_center, float)
        self.shape = self.baseline_shape(self.z_raw)
        ys = data.y / self.y_scale[:, None]
        self.ys = ys
        ys = ys / self.shape
        self.N = G * T
        zd = (z - z.mean(axis=1, keepdims=True)).reshape(self.N, -1)
        self.zd = zd
        self.yd = (ys - ys.mean(axis=1, keepdims=True)).reshape(self.N)
        K = zd.shape[1]
        self.K = K
        rr = np.sqrt(settings.ridge * self.N)
        z_aug = np.vstack([zd, rr * np.eye(K)]) if K else np.zeros((self.N, 0))
        self.q, self.r = np.linalg.qr(z_aug) if K else (np.zeros((self.N, 0)), np.zeros((0, 0)))
        self.qm = self.q[: self.N]
        y_aug = np.concatenate([self.yd, np.zeros(K)])
        self.yr = y_aug - self.q @ (self.qm.T @ self.yd)
        # the search minimises SSR / N / obj_scale so the objective is O(1) and the
        # optimiser's relative tolerances mean what they say
        self.obj_scale = max(float(np.mean(self.yd ** 2)), 1e-300)
        self.param_names = settings.param_names()
        self.P = len(self.param_names)
        self.experiments = list(experiments or [])
        self.sigma = sigma
        self._cal = [self._compile_experiment(e) for e in self.experiments]
        self.n_evals = 0
        # optional Gaussian prior on the curve parameters: (mean (C*P,), precision
        # (C*P, C*P), weight); see penalty()
        self.prior = prior
        self.split = self._compile_split(split_weights)
        self.E = 0 if self.split is None else len(self.split["chan"])
        self.n_split_rows = 0 if self.split is None else self.split["lhs"].size

    def penalty(self, vec):
        """Prior term ``w (theta - mu)' Lambda (theta - mu)`` and its gradient.

        With ``w = f_hat / N`` (``f_hat`` the unpenalised optimum of the scaled
        objective, so ``f_hat * obj_scale`` estimates the residual variance) this is
        the negative log posterior ``SSR / (2 s^2) + (theta - mu)' Lambda (theta - mu) / 2``
        in the objective's units."""
        if self.prior is None:
            return 0.0, 0.0
        mu, prec, w = self.prior
        d = np.ravel(vec) - mu
        pd_ = prec @ d
        return float(w * d @ pd_), 2.0 * w * pd_

    def baseline_shape(self, z_raw) -> np.ndarray:
        """``exp((z - z0) . Gamma)`` (G, T): 1 for the additive baseline."""
        if self.shape_gamma is None:
            return np.ones(z_raw.shape[:2])
        return np.exp((z_raw - self.shape_center) @ self.shape_gamma)

    def like(self, data: PanelData, settings: Settings | None = None, **kw) -> "MMM":
        """Same settings, calibration, prior and baseline shape on other data (CV folds,
        bootstrap); ``settings`` and any constructor argument in ``kw`` replace them."""
        args = dict(experiments=self.experiments, sigma=self.sigma, t_ref=kw.pop("t_ref", self.t_ref),
                    shape_gamma=self.shape_gamma, shape_center=self.shape_center,
                    split_weights=None if self.split is None else self.split["weight"], level=self.level,
                    prior=self.prior)
        args.update(kw)
        return MMM(data, settings or self.s, **args)

    # ----- design -------------------------------------------------------------
    def _controls(self, weeks, controls):
        cal, names = calendar_controls(weeks, self.s.fourier_order, self.s.trend, self.t_ref)
        cal = np.broadcast_to(cal, (self.G,) + cal.shape)
        z = np.concatenate([cal, controls], axis=2)
        return z, list(names) + list(self.data.control_names)

    def bounds(self) -> list:
        return [self.s.bounds[p] for _ in range(self.C) for p in self.param_names]

    def unpack(self, vec) -> np.ndarray:
        return np.asarray(vec, dtype=float).reshape(self.C, self.P)

    def channel_params(self, theta_c) -> tuple[dict, dict]:
        names, na = self.param_names, self.na
        ad = {n: float(v) for n, v in zip(names[:na], theta_c[:na])}
        sat = {n: float(v) for n, v in zip(names[na:], theta_c[na:])}
        return ad, sat

    def weights(self, theta_c) -> np.ndarray:
        return self.adstock_form.weight(np.asarray(theta_c, float)[: self.na])

    def adstocked(self, theta_c, x) -> np.ndarray:
        """Adstock of scaled spend ``x`` (G, T') along weeks."""
        return tf.convolve_adstock(x.T, self.weights(theta_c)).T

    def saturate(self, theta_c, a) -> np.ndarray:
        return self.saturation_form.value(a, np.asarray(theta_c, float)[None, self.na:])

    def saturate_derivative(self, theta_c, a) -> np.ndarray:
        return self.saturation_form.derivative(a, np.asarray(theta_c, float)[None, self.na:])

    @staticmethod
    def _lagged(xs: np.ndarray, L: int) -> np.ndarray:
        """``lag[g, t, c, l] = xs[g, t - l, c]`` (0 before week 0), so adstock of every
        channel is one contraction with its weights: ``a = lag @ w``."""
        G, T, C = xs.shape
        lag = np.zeros((G, T, C, L))
        for l in range(L):
            lag[:, l:, :, l] = xs[:, : T - l, :]
        return lag

    def weights_all(self, theta, with_grad: bool = False):
        """Lag weights of every channel ``W`` (C, L) and, with ``with_grad``, their
        derivatives ``dW`` (C, L, n_adstock_params) (the adstock component's)."""
        th = np.asarray(theta, float)[:, : self.na]
        W = self.adstock_form.weights(th)
        return W, (self.adstock_form.weights_grad(th, self.s.bounds) if with_grad else None)

    def _sat_params(self, theta):
        return np.asarray(theta, float)[:, self.na:]

    def features(self, theta, xs=None, with_grad: bool = False):
        """Saturated adstock ``f_c`` for every series, week (incl. tail), channel:
        (G, T + l_max, C), all channels at once. With ``with_grad`` also
        ``dF/dtheta`` (G, T + l_max, C, P): adstock parameters through
        ``f'(a) lag @ dW``, saturation parameters from the component."""
        lag = self.lag if xs is None else self._lagged(xs, self.L)
        W, dW = self.weights_all(theta, with_grad)
        A = np.einsum("gtcl,cl->gtc", lag, W)
        sp = self._sat_params(theta)
        if not with_grad:
            return self.saturation_form.value(A, sp)
        F, dfda, dsat = self.saturation_form.value_and_grads(A, sp)
        G, Tp, C = A.shape
        na = self.na
        dF = np.zeros((G, Tp, C, self.P))
        dF[..., na:] = dsat
        for p in range(na):
            dF[..., p] = dfda * np.einsum("gtcl,cl->gtc", lag, dW[:, :, p])
        return F, dF

    # ----- calibration --------------------------------------------------------
    def _compile_experiment(self, e: Experiment):
        c = self.data.channels.index(e.channel_id)
        weeks = np.asarray(self.data.weeks, dtype="datetime64[D]")
        in_win = (weeks >= np.datetime64(e.start, "D")) & (weeks <= np.datetime64(e.end, "D"))
        gmask = np.ones(self.G, bool) if not e.groups else np.isin(self.data.groups, e.groups)
        return c, in_win, gmask, e

    def experiment_gain(self, theta, k) -> float:
        """``G_e``: the model's lift for experiment ``k`` per unit of ``beta_c`` (USD).

        With a spend change ``D`` (USD; the data already contain it) spread evenly over
        the window's weeks and over the test series in proportion to their usual
        spend, ``G_e = sum_g ybar_g sum_t [f(x_g) - f(x_g - d_g)]`` over the window's weeks (what a TBR or geo test
        measures; carryover after the window is not counted); without a spend
        change the channel's spend in the window is removed (go-dark test) and
        ``G_e = sum_g ybar_g sum_t [f(x_g) - f(x_g without window)]``.
        """
        c, in_win, gmask, e = self._cal[k]
        x = self.xs[:, :, c]
        n_win = max(int(in_win.sum()), 1)
        win = np.concatenate([in_win, np.zeros(self.L, bool)])
        if e.spend_change_usd is None or not np.isfinite(e.spend_change_usd):
            alt = np.where(win[None, :] & gmask[:, None], 0.0, x)
            base, other = x, alt
        else:
            # the data already hold the changed spend (e.g. a holdout ran), so the
            # counterfactual is the data minus the change, spread over the test series
            # in proportion to their usual spend on the channel
            usd = self.data.spend[:, :, c].sum(axis=1) * gmask
            share = usd / usd.sum() if usd.sum() > 0 else gmask / max(gmask.sum(), 1)
            d = e.spend_change_usd * share / n_win / self.spend_scale[:, c]     # per week, scaled
            base, other = x, np.maximum(x - np.where(win[None, :], d[:, None], 0.0), 0.0)
        # the experiment measures the test weeks only (TBR: observed - counterfactual
        # over the test window), so carryover after the window is not counted
        fb = self.saturate(theta[c], self.adstocked(theta[c], base))[:, win].sum(axis=1)
        fo = self.saturate(theta[c], self.adstocked(theta[c], other))[:, win].sum(axis=1)
        return float((self.y_scale * (fb - fo)).sum())

    # ----- split rows (the KPI's parts: retailer sales) ------------------------
    def _compile_split(self, weights=None):
        """Rows from the KPI's parts (retailer sales) for channels that act mainly on one part.

        A retail-media channel ``c`` (Walmart Connect) lifts its own retailer ``r_c``
        more than the others. In series ``g`` the part ``y_gr = s_gr y_g + sum_c
        delta_c (1[r_c = r] - s_gr) f_c ybar_g + e`` where ``s_gr`` is the part's
        share, ``f_c`` the channel's saturated adstock (the same curve as in the main
        rows) and ``delta_c >= 0`` its own-part coefficient (``delta_c / beta_c`` is the
        share of the channel's effect that lands on its own retailer beyond the
        retailer's share). Everything that moves the whole series (baseline, noise,
        other media) cancels in the part's deviation from its share, so these rows
        pin the channel's carryover and saturation with far less noise than the total.
        Per block ``(g, r)`` the nuisance ``[1, y_g(t), y_g(t-1)]`` (share, and a part
        whose week straddles two of the series' weeks) is projected out; one part per
        series is left out when all of them are acted on (they sum to the total). Rows
        are weighted by ``weight_b`` = main residual scale / block residual scale
        (:func:`fitting.fit_one` re-estimates it after the first fit).
        """
        d = self.data
        if not self.s.split_rows or d.split_y is None or not d.channel_split or self.shape_gamma is not None:
            return None
        names = list(d.split_names)
        chan = [c for c, ch in enumerate(d.channels) if d.channel_split.get(ch) in names]
        if not chan:
            return None
        target = np.array([names.index(d.channel_split[d.channels[c]]) for c in chan])
        blocks = []
        for g in range(self.G):
            present = [r for r in range(len(names)) if d.split_y[g, :, r].sum() > 0]
            ran = d.spend[g][:, chan].sum(axis=0) > 0
            acted = [r for r in present if np.any((target == r) & ran)]
            if acted and len(acted) == len(present):
                acted = sorted(acted, key=lambda r: -d.split_y[g, :, r].sum())[1:]
            blocks += [(g, r) for r in acted]
        if not blocks:
            return None
        B, T = len(blocks), self.T
        bg = np.array([g for g, _ in blocks])
        br = np.array([r for _, r in blocks])
        u = np.array([d.split_y[g, :, r].mean() for g, r in blocks])
        share = np.array([d.split_y[g, :, r].sum() / d.y[g].sum() for g, r in blocks])
        fac = (target[None, :] == br[:, None]).astype(float) - share[:, None]      # (B, E)
        coef = fac * (self.y_scale[bg] / u)[:, None]
        Q = np.zeros((B, T, 3))
        lhs = np.zeros((B, T))
        for b, (g, r) in enumerate(blocks):
            yg = d.y[g] / u[b]
            Q[b] = np.linalg.qr(np.column_stack([np.ones(T), yg, np.r_[yg[:1], yg[:-1]]]))[0]
            v = d.split_y[g, :, r] / u[b]
            lhs[b] = v - Q[b] @ (Q[b].T @ v)
        if weights is None or len(weights) != B:
            # start from the raw scales (media still in both); fit_one re-estimates
            s_main = np.sqrt(np.mean(self.yr[: self.N] ** 2))
            weights = s_main / np.maximum(np.sqrt(np.mean(lhs ** 2, axis=1)), 1e-12)
        weights = np.asarray(weights, float)
        return {"blocks": [(self.data.groups[g], names[r]) for g, r in blocks], "g": bg,
                "chan": np.array(chan), "coef": coef, "Q": Q, "lhs_raw": lhs,
                "lhs": lhs * weights[:, None], "weight": weights}

    def split_columns(self, X) -> np.ndarray:
        """Weighted, projected own-part columns ``(B, T, E)`` of the split rows from the
        features ``(G, T', C)``; from their derivatives ``(G, T', C, P)`` the same per
        parameter, ``(B, T, E, P)`` (the Laplace Jacobian)."""
        sp = self.split
        X = X[sp["g"]][:, : self.T][:, :, sp["chan"]]
        coef = sp["coef"].reshape(sp["coef"].shape + (1,) * (X.ndim - 3))
        M = (X * coef[:, None]).reshape(X.shape[0], self.T, -1)
        M = M - np.einsum("btk,bke->bte", sp["Q"], np.einsum("btk,bte->bke", sp["Q"], M))
        return (M * sp["weight"][:, None, None]).reshape(X.shape)

    def split_residuals(self, fit: "Fit") -> np.ndarray:
        """Unweighted residuals of the split rows ``(B, T)`` in part-mean units."""
        M = self.split_columns(self.features(fit.theta)) / self.split["weight"][:, None, None]
        return self.split["lhs_raw"] - M @ fit.split_coef

    # ----- linear solve -------------------------------------------------------
    def _n_cal_rows(self) -> int:
        return len(self._cal) if (self._cal and self.sigma is not None and self.s.calibration_weight > 0) else 0

    def solve(self, theta, feats=None):
        """Exact constrained least squares for ``beta >= 0`` (and the split rows'
        ``delta >= 0``) with free ``gamma``. Returns the :class:`Solution`."""
        feats = self.features(theta) if feats is None else feats
        C, E = self.C, self.E
        F = feats[:, : self.T, :] / self.shape[:, :, None]
        Fd = (F - F.mean(axis=1, keepdims=True)).reshape(self.N, C)
        proj = self.qm.T @ Fd
        Fr = np.vstack([Fd, np.zeros((self.K, C))]) - self.q @ proj
        rows = [np.hstack([Fr, np.zeros((Fr.shape[0], E))]), np.sqrt(self.s.ridge * self.N) * np.eye(C + E)]
        rhs = [self.yr, np.zeros(C + E)]
        if self._n_cal_rows():
            w = np.sqrt(self.s.calibration_weight) * self.sigma
            for k, (c, _, _, e) in enumerate(self._cal):
                row = np.zeros(C + E)
                row[c] = w * self.experiment_gain(theta, k) / e.se_usd
                rows.append(row[None, :])
                rhs.append(np.array([w * e.lift_usd / e.se_usd]))
        if self.split is not None:
            M = self.split_columns(feats).reshape(-1, E)
            rows.append(np.hstack([np.zeros((M.shape[0], C)), M]))
            rhs.append(self.split["lhs"].ravel())
        A, b = np.vstack(rows), np.concatenate(rhs)
        coef, rnorm = nnls(A, b, maxiter=50 * (C + E) + 50)
        return Solution(A, b, coef, rnorm * rnorm, Fd, C)

    def objective(self, vec) -> float:
        self.n_evals += 1
        return self.solve(self.unpack(vec)).ssr / self.N / self.obj_scale + self.penalty(vec)[0]

    def feature_channel(self, theta_c, x) -> np.ndarray:
        return self.saturate(theta_c, self.adstocked(theta_c, x))

    def objective_and_grad(self, vec):
        """Objective and its gradient by the envelope theorem (variable projection).

        At the optimal ``beta`` the gradient of ``min_beta ||b - A(theta) beta||^2``
        is ``-2 r' (dA/dtheta) beta`` with ``r`` the residual; ``dA/dtheta`` needs only
        the derivative of one channel's feature per parameter (a one-sided difference
        of that channel's feature, far cheaper than differencing the whole fit).
        Calibration rows are differenced the same way.
        """
        self.n_evals += 1
        theta = self.unpack(vec)
        feats, dF = self.features(theta, with_grad=True)
        sol = self.solve(theta, feats)
        beta, ssr, coef, r = sol.beta, sol.ssr, sol.coef, sol.residual
        r_main = r[: self.N].reshape(self.G, self.T)
        # r is orthogonal to the controls and the per-series means, so r'(dFd) = r'(dF)
        grad = -2.0 * beta[:, None] * np.einsum("gt,gtcp->cp", r_main / self.shape, dF[:, : self.T])
        if self.split is not None:   # the same envelope step for the split rows
            sp = self.split
            off = self.N + self.K + self.C + self.E + self._n_cal_rows()
            rs = r[off:off + self.n_split_rows].reshape(len(sp["g"]), self.T)
            dFs = dF[sp["g"]][:, : self.T][:, :, sp["chan"]]
            gs = np.einsum("bt,be,btep->ep", rs, sp["coef"] * sp["weight"][:, None], dFs)
            grad[sp["chan"]] += -2.0 * coef[self.C:, None] * gs
        if self._n_cal_rows():
            w = np.sqrt(self.s.calibration_weight) * self.sigma
            for k, (c, _, _, e) in enumerate(self._cal):
                if beta[c] == 0.0:
                    continue
                g0 = self.experiment_gain(theta, k)
                for p, name in enumerate(self.param_names):
                    lo, hi = self.s.bounds[name]
                    h = 1e-6 * max(1.0, abs(theta[c, p]))
                    if theta[c, p] + h > hi:
                        h = -h
                    th2 = theta.copy()
                    th2[c, p] += h
                    dv = w * (self.experiment_gain(th2, k) - g0) / h / e.se_usd
                    grad[c, p] += -2.0 * beta[c] * r[self.N + self.K + self.C + self.E + k] * dv
        pen, dpen = self.penalty(vec)
        return ssr / self.N / self.obj_scale + pen, grad.ravel() / self.N / self.obj_scale + dpen

    def finish(self, theta, objective=None) -> Fit:
        """Coefficients, intercepts and fitted revenue for the given parameters."""
        feats = self.features(theta)
        sol = self.solve(theta, feats)
        beta, ssr, Fd = sol.beta, sol.ssr, sol.Fd
        if self.K:
            g_std = np.linalg.solve(self.r, self.qm.T @ (self.yd - Fd @ beta))
        else:
            g_std = np.zeros(0)
        gamma = g_std / self.z_sd
        F = feats[:, : self.T, :]
        zpart = self.z_raw @ gamma                                   # (G, T)
        mpart = F @ beta
        intercept = (self.ys / self.shape - zpart - mpart / self.shape).mean(axis=1)
        fitted = ((intercept[:, None] + zpart) * self.shape + mpart) * self.y_scale[:, None]
        return Fit(theta=theta, beta=beta, gamma=gamma, intercept=intercept, fitted=fitted,
                   objective=ssr / self.N / self.obj_scale if objective is None else objective,
                   n_evals=self.n_evals, split_coef=sol.split_coef if self.E else None)

    # ----- search -------------------------------------------------------------
    def fit(self, starts=None) -> Fit:
        """Global search for the nonlinear parameters.

        ``optimizer: multistart`` (default): L-BFGS-B with the envelope gradient from
        ``n_starts`` scrambled-Sobol points (seeded) plus the box centre and any
        ``starts`` given (e.g. another model's optimum); the best end point wins.
        ``optimizer: de``: seeded differential evolution with L-BFGS-B polish.
        """
        bnds = self.bounds()
        lo, hi = np.array(bnds).T
        if self.s.optimizer == "de":
            res = differential_evolution(
                self.objective, bnds, seed=self.s.seed, popsize=self.s.popsize,
                maxiter=self.s.maxiter, tol=self.s.tol, polish=self.s.polish,
                init="sobol", updating="immediate", workers=1)
            return self.finish(self.unpack(res.x), res.fun)
        from scipy.stats import qmc
        with warnings.catch_warnings():  # n_starts need not be a power of two
            warnings.simplefilter("ignore", UserWarning)
            pts = qmc.Sobol(len(bnds), scramble=True, seed=self.s.seed).random(self.s.n_starts)
        cand = [lo + (hi - lo) * 0.5] + [lo + (hi - lo) * p for p in pts]
        cand = [np.clip(np.ravel(s0), lo, hi) for s0 in (starts or [])
                if np.size(s0) == len(bnds)] + cand

        def descend(x0):
            return minimize(self.objective_and_grad, x0, jac=True, method="L-BFGS-B", bounds=bnds,
                            options={"maxiter": self.s.maxiter, "ftol": self.s.tol * 1e-2, "gtol": 1e-6})

        # the starts are independent descents of a pure objective (numpy releases the GIL in
        # the panel's large products), so on a large panel two run side by side; the winner
        # is chosen in the starts' order and BLAS runs one thread per caller (numerics.py),
        # so the fit is the same bits either way. A small panel's steps are too short to
        # gain, and a second thread only takes the core the build's forecast is using.
        if self.G * self.T < PARALLEL_SERIES_WEEKS:
            ends = [descend(x0) for x0 in cand]
        else:
            with ThreadPoolExecutor(2) as pool:
                ends = list(pool.map(descend, cand))
        best = None
        for res in ends:
            if best is None or res.fun < best.fun - 1e-15:
                best = res
        return self.finish(self.unpack(best.x), best.fun)

    def refine(self, theta0, maxiter: int = 30) -> Fit:
        """Local refit from ``theta0`` (L-BFGS-B), used by the bootstrap and CV folds."""
        res = minimize(self.objective_and_grad, np.ravel(theta0), jac=True, method="L-BFGS-B",
                       bounds=self.bounds(), options={"maxiter": maxiter, "ftol": self.s.tol * 1e-2, "gtol": 1e-6})
        return self.finish(self.unpack(res.x), res.fun)

    # ----- outputs ------------------------------------------------------------
    def contributions(self, fit: Fit) -> np.ndarray:
        """Per-week channel contribution in USD over observed weeks: (G, T, C)."""
        F = self.features(fit.theta)[:, : self.T, :]
        return F * fit.beta[None, None, :] * self.y_scale[:, None, None]

    def decomposition(self, fit: Fit) -> dict:
        """USD parts of the fitted value per series and week: base, controls, media."""
        base = np.repeat((fit.intercept * self.y_scale)[:, None], self.T, axis=1)
        ctrl = self.z_raw * fit.gamma[None, None, :] * self.shape[:, :, None] * self.y_scale[:, None, None]
        if self.shape_gamma is not None:
            # the intercept's multiplicative part a_g (shape - 1) is split over the
            # controls by their share of the log shape (z_k - z0_k) Gamma_k
            lz = (self.z_raw - self.shape_center) * self.shape_gamma
            tot = lz.sum(axis=2, keepdims=True)
            share = np.divide(lz, tot, out=np.zeros_like(lz), where=np.abs(tot) > 1e-12)
            extra = (fit.intercept[:, None] * (self.shape - 1.0) * self.y_scale[:, None])[:, :, None]
            ctrl = ctrl + share * extra
            # where the log shape is exactly 0 the shape is 1 and extra is 0
        return {"base": base, "controls": ctrl, "media": self.contributions(fit)}

    def response(self, fit: Fit, window=None, group_mask=None):
        """Channel response to scaling its spend inside ``window`` (bool over weeks),
        summed over the series in ``group_mask`` (default all)."""
        from .response import ChannelResponse

        return ChannelResponse(self, fit, window, group_mask)

    def predict(self, fit: Fit, data: PanelData) -> np.ndarray:
        """Fitted revenue (USD) on ``data`` (same series, more weeks) with this fit."""
        other = self.like(data, t_ref=self.t_ref, experiments=None, sigma=None)
        xs = data.spend / self.spend_scale[:, None, :]
        xs = np.concatenate([xs, np.zeros((self.G, self.L, self.C))], axis=1)
        F = other.features(fit.theta, xs)[:, : data.n_weeks, :]
        z = other.z_raw
        rel = (fit.intercept[:, None] + z @ fit.gamma) * other.shape + F @ fit.beta
        return rel * self.y_scale[:, None]
