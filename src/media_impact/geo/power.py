"""Pre-test power analysis for a TBR geo test: minimum detectable effect (MDE).

For a candidate set of test markets, control markets and a test of ``D``
periods, use the history before the test: the last ``D`` periods play the test
window and the ``n`` periods before them the pre-period. The TBR fit (see
:mod:`media_impact.geo.tbr`) gives the standard error of the cumulative effect

    se = s sqrt( D + D^2 / n + (sum_test (x_t - xbar_pre))^2 / Sxx ).

A one-sided test at level ``alpha`` detects a true cumulative effect ``delta``
with probability ``power`` when

    delta = (t_{1 - alpha, n-2} + t_{power, n-2}) * se     (MDE, in response units),

and relative to the expected counterfactual ``sum_test (a + b x_t)`` it is the
minimum detectable lift. Two-sided tests use ``alpha / 2``. The required
incremental spend for a target iROAS follows as ``MDE / iROAS``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from media_impact.geo.tbr import group_totals, tbr_fit


def minimum_detectable_effect(
    panel: pd.DataFrame,
    test_markets: list[str],
    durations: list[int],
    control_markets: list[str] | None = None,
    pre_periods: int | None = None,
    alpha: float = 0.1,
    power: float = 0.8,
    tails: int = 1,
    market_col: str = "market_id",
    time_col: str = "date_day",
    value_col: str = "y",
) -> pd.DataFrame:
    """MDE for each candidate test duration (formula in the module docstring).

    ``pre_periods`` defaults to all history before the stand-in test window.
    Returns one row per duration: ``duration_periods``, ``pre_periods``,
    ``baseline_response`` (expected counterfactual over the test),
    ``cumulative_effect_se``, ``mde_response`` and ``mde_lift``.
    """
    totals = group_totals(panel, test_markets, control_markets, market_col, time_col, value_col)
    y = totals["treatment"].to_numpy(float)
    x = totals["control"].to_numpy(float)
    rows = []
    for duration in durations:
        if duration < 1 or duration >= len(y) - 3:
            raise ValueError(f"duration {duration} does not fit in {len(y)} periods of history")
        end = len(y)
        start_test = end - duration
        start_pre = 0 if pre_periods is None else max(0, start_test - pre_periods)
        is_pre = np.zeros(end, bool)
        is_pre[start_pre:start_test] = True
        is_test = np.zeros(end, bool)
        is_test[start_test:] = True
        fit = tbr_fit(y, x, is_pre, is_test, level=1 - alpha, tails=tails)
        q = stats.t.ppf(1 - alpha / tails, fit.degrees_of_freedom) + stats.t.ppf(power, fit.degrees_of_freedom)
        mde = float(q * fit.incremental_response_se)
        rows.append(
            {
                "duration_periods": duration,
                "pre_periods": fit.pre_periods,
                "baseline_response": fit.counterfactual_response,
                "cumulative_effect_se": fit.incremental_response_se,
                "mde_response": mde,
                "mde_lift": mde / fit.counterfactual_response,
            }
        )
    return pd.DataFrame(rows)
