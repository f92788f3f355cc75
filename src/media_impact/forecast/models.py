"""The forecasting models: a global quantile gradient-boosting model, seasonal naive, and Holt-Winters ETS.

All return quantile forecasts as an array with one column per quantile level,
sorted so the quantiles never cross and clipped at zero units.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from media_impact.forecast.design import Design, sample_rows


def train_cap(params: dict) -> tuple[int, int]:
    """(max_train_rows, seed) of the global model's settings: at most that many training rows."""
    return int(params.get("max_train_rows", 0) or 0), int(params.get("random_state", 0))

CATEGORICAL = ("retailer", "market")


class GlobalQuantileModel:
    """One HistGradientBoostingRegressor per quantile level, fitted on every series and horizon at once.

    Loss for level tau is the pinball loss  rho_tau(u) = u * (tau - 1[u < 0])  on the
    scaled target y[o+h] / L_o; predictions are multiplied back by L_o.
    """

    def __init__(self, quantiles: list[float], params: dict):
        self.quantiles = list(quantiles)
        self.params = dict(params)
        self.models: list = []  # HistGradientBoostingRegressor, one per quantile
        self.dropped: list[str] = []

    def fit(self, design: Design) -> "GlobalQuantileModel":
        known = ~np.isnan(design.y)
        X, y = design.X.loc[known], design.y[known]
        keep = sample_rows(len(y), *train_cap(self.params))
        if len(keep) < len(y):
            X, y = X.iloc[keep], y[keep]
        # a categorical input may have at most max_bins levels: beyond that (e.g. 140
        # markets at scale 10) the market code is left out and the scaled inputs carry it
        max_bins = int(self.params.get("max_bins", 255))
        self.dropped = [c for c in CATEGORICAL if c in X.columns and X[c].nunique() > max_bins]
        X = X.drop(columns=self.dropped)
        categorical = [c in CATEGORICAL for c in X.columns]
        self.models = []
        # imported here, not with the module (a dbt build that reuses its cached predictions never
        # fits, and scikit-learn takes ~0.5 s to import), but before threadpool_limits: it limits
        # only the OpenMP runtimes already loaded, and scikit-learn loads its own
        import sklearn.ensemble  # noqa: F401
        # libgomp threads busy-wait: on a shared 2-core box two OpenMP threads ran
        # 10x slower than one, so the thread count is a setting (default 1)
        with threadpool_limits(int(self.params.get("n_threads", 1)), user_api="openmp"):
            self.models = [self._fit_one(tau, X, y, categorical) for tau in self.quantiles]
        return self

    def _fit_one(self, tau: float, X: pd.DataFrame, y: np.ndarray, categorical: list[bool]):
        from sklearn.ensemble import HistGradientBoostingRegressor

        model = HistGradientBoostingRegressor(
            loss="quantile", quantile=tau,
            max_iter=int(self.params["max_iter"]),
            learning_rate=float(self.params["learning_rate"]),
            max_leaf_nodes=int(self.params["max_leaf_nodes"]),
            min_samples_leaf=int(self.params["min_samples_leaf"]),
            l2_regularization=float(self.params["l2_regularization"]),
            max_bins=int(self.params.get("max_bins", 255)),
            categorical_features=categorical,
            early_stopping=False,
            random_state=int(self.params.get("random_state", 0)),
        )
        return model.fit(X, y)

    def predict(self, design: Design) -> np.ndarray:
        with threadpool_limits(int(self.params.get("n_threads", 1)), user_api="openmp"):
            X = design.X.drop(columns=self.dropped)
            scaled = np.column_stack([m.predict(X) for m in self.models])
        return finalize(scaled * design.index["level"].to_numpy()[:, None])


def finalize(q: np.ndarray) -> np.ndarray:
    """Sort quantile columns (no crossing) and clip at zero."""
    return np.clip(np.sort(q, axis=1), 0.0, None)


def seasonal_naive(design: Design, panel: pd.DataFrame, cutoff: pd.Timestamp, quantiles: list[float],
                   season: int = 52) -> np.ndarray:
    """P50 = y[t-season] (the design's `units_last_year`; the last value when a season of
    history is missing).

    Other quantiles add the series' empirical quantiles of the seasonal
    difference y[s] - y[s-season] over weeks s <= cutoff.
    """
    p50 = design.index["units_last_year"].to_numpy().copy()
    missing = np.isnan(p50)
    p50[missing] = design.index["units_at_origin"].to_numpy()[missing]
    diffs = seasonal_differences(panel, cutoff, season)
    spread = diffs.groupby("series_id")["diff"].quantile(quantiles).unstack()
    spread = spread.reindex(design.index["series_id"]).to_numpy()
    spread = spread - spread[:, [quantiles.index(0.5)]] if 0.5 in quantiles else spread
    return finalize(p50[:, None] + np.nan_to_num(spread))


def seasonal_differences(panel: pd.DataFrame, cutoff: pd.Timestamp, season: int = 52) -> pd.DataFrame:
    """series_id, week_start, diff = y[s] - y[s-season] for weeks s <= cutoff with both known."""
    hist = panel.loc[panel["week_start"] <= cutoff, ["series_id", "week_start", "units"]]
    diff = hist["units"] - hist.groupby("series_id", sort=False)["units"].shift(season)
    return hist.assign(diff=diff).dropna(subset=["diff"])[["series_id", "week_start", "diff"]]


def mase_scale(panel: pd.DataFrame, cutoff: pd.Timestamp, season: int = 52) -> pd.Series:
    """Per series: mean |y[s] - y[s-season]| over weeks s <= cutoff (MASE denominator)."""
    diffs = seasonal_differences(panel, cutoff, season)
    return diffs.assign(diff=diffs["diff"].abs()).groupby("series_id")["diff"].mean()


def holt_winters(history: pd.Series, horizon: int, quantiles: list[float], season: int = 52,
                 initialization_method: str = "heuristic") -> np.ndarray:
    """statsmodels Holt-Winters (additive damped trend, additive season) forecast with quantiles.

    Interval half-widths use the in-sample one-step residual sd sigma and the
    simple-exponential-smoothing variance growth sigma^2 (1 + (h - 1) alpha^2),
    with normal quantiles (an approximation: trend and season terms are ignored).
    Falls back to a damped trend without season when history is under two seasons.
    Initial states come from the "heuristic" decomposition by default: estimating
    the 52 seasonal states by likelihood made each fit ~4x slower.
    """
    from scipy.stats import norm
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = history.to_numpy(dtype="float64")
    seasonal = len(y) >= 2 * season
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(
            y, trend="add", damped_trend=True,
            seasonal="add" if seasonal else None, seasonal_periods=season if seasonal else None,
            initialization_method=initialization_method,
        ).fit()
    mean = np.asarray(fit.forecast(horizon))
    sigma = float(np.std(y - fit.fittedvalues, ddof=1))
    alpha = float(fit.params.get("smoothing_level", 0.5))
    h = np.arange(1, horizon + 1)
    sd = sigma * np.sqrt(1 + (h - 1) * alpha**2)
    return finalize(mean[:, None] + sd[:, None] * norm.ppf(quantiles)[None, :])
