"""Time-based regression (TBR) for geo experiments, after Kerman, Wang and Vaver (2017).

Sum the response of the treatment markets (``y_t``) and of the control markets
(``x_t``) per period. Fit on the ``n`` pre-period points

    y_t = a + b x_t + e_t,   e_t ~ N(0, s^2)   (ordinary least squares).

In the ``T`` test periods the counterfactual is ``a + b x_t`` and the cumulative
causal effect is ``D = sum_t (y_t - a - b x_t)``. Its predictive variance counts
the noise of every test period and the uncertainty of ``a`` and ``b``:

    Var(D) = s^2 [ T + T^2 / n + (sum_t (x_t - xbar_pre))^2 / Sxx ],

where ``Sxx = sum_pre (x_t - xbar_pre)^2``. ``D`` follows a scaled t distribution
with ``n - 2`` degrees of freedom, location ``D`` and that scale. With a fixed
incremental cost ``C`` (spend moved only in the treatment markets during the
test) the iROAS is ``D / C`` and its interval is the interval of ``D`` over ``C``.
Intervals are one-sided (lower bound) by default, as matched_markets reports.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class TBRResult:
    """Cumulative effect of a geo test estimated by TBR."""

    incremental_response: float
    incremental_response_se: float
    incremental_response_lower: float
    incremental_response_upper: float
    incremental_cost: float
    iroas: float
    iroas_lower: float
    iroas_upper: float
    counterfactual_response: float
    observed_response: float
    lift: float
    lift_lower: float
    lift_upper: float
    slope: float
    intercept: float
    residual_sd: float
    degrees_of_freedom: int
    pre_periods: int
    test_periods: int
    level: float
    tails: int

    def as_dict(self) -> dict:
        return asdict(self)


def tbr_fit(
    treatment: np.ndarray,
    control: np.ndarray,
    is_pre: np.ndarray,
    is_test: np.ndarray,
    incremental_cost: float = np.nan,
    level: float = 0.9,
    tails: int = 1,
) -> TBRResult:
    """TBR on aligned per-period treatment and control totals (formula in the module docstring).

    ``tails=1`` gives a one-sided interval: the lower bound at ``level`` and an
    infinite upper bound. ``tails=2`` gives the central ``level`` interval.
    """
    if tails not in (1, 2):
        raise ValueError("tails must be 1 or 2")
    y = np.asarray(treatment, dtype=float)
    x = np.asarray(control, dtype=float)
    pre = np.asarray(is_pre, dtype=bool)
    test = np.asarray(is_test, dtype=bool)
    n, t = int(pre.sum()), int(test.sum())
    if n < 3 or t < 1:
        raise ValueError("TBR needs at least 3 pre-period and 1 test-period points")
    x_pre, y_pre = x[pre], y[pre]
    x_bar = x_pre.mean()
    sxx = float(((x_pre - x_bar) ** 2).sum())
    if sxx <= 0:
        raise ValueError("control series is constant in the pre-period")
    slope = float(((x_pre - x_bar) * (y_pre - y_pre.mean())).sum() / sxx)
    intercept = float(y_pre.mean() - slope * x_bar)
    resid = y_pre - intercept - slope * x_pre
    df = n - 2
    s2 = float((resid**2).sum() / df)
    counterfactual = intercept + slope * x[test]
    effect = float((y[test] - counterfactual).sum())
    var = s2 * (t + t**2 / n + float((x[test] - x_bar).sum()) ** 2 / sxx)
    se = float(np.sqrt(var))
    q = stats.t.ppf(1 - (1 - level) / tails, df)
    lower = effect - q * se
    upper = effect + q * se if tails == 2 else np.inf
    cf_sum = float(counterfactual.sum())
    observed = float(y[test].sum())
    cost = float(incremental_cost)
    with np.errstate(divide="ignore", invalid="ignore"):
        iroas, iroas_lower, iroas_upper = effect / cost, lower / cost, upper / cost
    return TBRResult(
        incremental_response=effect,
        incremental_response_se=se,
        incremental_response_lower=lower,
        incremental_response_upper=upper,
        incremental_cost=cost,
        iroas=iroas,
        iroas_lower=iroas_lower,
        iroas_upper=iroas_upper,
        counterfactual_response=cf_sum,
        observed_response=observed,
        lift=effect / cf_sum,
        lift_lower=lower / (observed - lower),
        lift_upper=upper / (observed - upper) if np.isfinite(upper) else np.inf,
        slope=slope,
        intercept=intercept,
        residual_sd=float(np.sqrt(s2)),
        degrees_of_freedom=df,
        pre_periods=n,
        test_periods=t,
        level=level,
        tails=tails,
    )


def group_totals(
    panel: pd.DataFrame,
    test_markets: list[str],
    control_markets: list[str] | None = None,
    market_col: str = "market_id",
    time_col: str = "date_day",
    value_col: str = "y",
) -> pd.DataFrame:
    """Per-period totals of a long panel: columns ``treatment`` and ``control``, indexed by time.

    Control markets default to every market not in the test group.
    """
    test_set = set(test_markets)
    if control_markets is None:
        control_markets = sorted(set(panel[market_col]) - test_set)
    missing = (test_set | set(control_markets)) - set(panel[market_col])
    if missing:
        raise ValueError(f"markets missing from the panel: {sorted(missing)}")
    # a market without a row for a period contributes nothing to that period's
    # total (matched_markets does the same); the periods are those any market has
    group = np.where(panel[market_col].isin(test_set), "treatment",
                     np.where(panel[market_col].isin(set(control_markets)), "control", ""))
    totals = (
        panel.assign(_group=group)
        .loc[lambda f: f["_group"] != ""]
        .pivot_table(index=time_col, columns="_group", values=value_col, aggfunc="sum", fill_value=0.0)
        .sort_index()
    )
    return totals.reindex(columns=["treatment", "control"], fill_value=0.0)


def tbr_panel(
    panel: pd.DataFrame,
    test_markets: list[str],
    pre_period: tuple,
    test_period: tuple,
    incremental_cost: float,
    control_markets: list[str] | None = None,
    level: float = 0.9,
    tails: int = 1,
    market_col: str = "market_id",
    time_col: str = "date_day",
    value_col: str = "y",
) -> TBRResult:
    """TBR on a long panel (one row per market and period) with inclusive period bounds."""
    totals = group_totals(panel, test_markets, control_markets, market_col, time_col, value_col)
    when = totals.index
    is_pre = (when >= pre_period[0]) & (when <= pre_period[1])
    is_test = (when >= test_period[0]) & (when <= test_period[1])
    return tbr_fit(totals["treatment"], totals["control"], is_pre, is_test, incremental_cost, level, tails)
