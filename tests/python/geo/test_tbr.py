"""TBR: parity with matched_markets' published figures and coverage on generated panels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from media_impact.geo import tbr_fit, tbr_panel

from .conftest import generate_geo_panel


def test_tbr_matches_matched_markets_published_iroas(reference_data):
    sales = pd.read_csv(reference_data / "tbr_salesandcost.csv", dtype={"geo": str}, parse_dates=["date"])
    groups = pd.read_csv(reference_data / "tbr_geoassignment.csv", dtype={"geo": str})
    treatment = groups.loc[groups["geo.group"] == 2, "geo"].tolist()
    control = groups.loc[groups["geo.group"] == 1, "geo"].tolist()
    test_period = (pd.Timestamp("2015-02-16"), pd.Timestamp("2015-03-15"))
    cost = sales.loc[sales["geo"].isin(treatment) & sales["date"].between(*test_period), "cost"].sum()
    result = tbr_panel(
        sales, treatment, (pd.Timestamp("2015-01-05"), pd.Timestamp("2015-02-15")), test_period, cost,
        control_markets=control, level=0.9, tails=1, market_col="geo", time_col="date", value_col="sales",
    )
    assert cost == pytest.approx(50000)
    assert result.iroas == pytest.approx(2.946742, abs=1e-4)
    assert result.iroas_lower == pytest.approx(2.826194, abs=1e-4)
    assert result.incremental_response == pytest.approx(147337.122, abs=1e-3)
    assert result.slope == pytest.approx(0.9997001, abs=1e-7)


def test_tbr_hand_computation():
    # y = 2 + 3x exactly in the pre-period except a known residual pattern
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    y = 2 + 3 * x + np.array([0.1, -0.1, 0.0, 0.1, -0.1, 0.0, 0.0])
    is_pre = np.array([1, 1, 1, 1, 1, 0, 0], bool)
    y[5:] += 10.0  # the effect: 10 per test period
    result = tbr_fit(y, x, is_pre, ~is_pre, incremental_cost=5.0, level=0.9, tails=2)
    resid = y[:5] - (result.intercept + result.slope * x[:5])
    s2 = (resid**2).sum() / 3
    xbar, sxx = 3.0, 10.0
    var = s2 * (2 + 4 / 5 + ((6 - xbar) + (7 - xbar)) ** 2 / sxx)
    assert result.incremental_response_se == pytest.approx(np.sqrt(var))
    assert result.incremental_response == pytest.approx(20.0, abs=0.2)
    assert result.iroas == pytest.approx(result.incremental_response / 5.0)


def test_tbr_interval_covers_injected_effect_at_nominal_rate():
    """Series drawn from TBR's own model: 90% intervals must cover the true effect ~90% of the time.

    The control series trends upward, so test-period points lie outside the
    pre-period range and the T^2/n and slope terms of the variance matter.
    """
    rng = np.random.default_rng(2024)
    n_pre, n_test, n_sims, effect_per_day = 60, 28, 1000, 40.0
    t = np.arange(n_pre + n_test)
    is_pre = t < n_pre
    covered = 0
    for _ in range(n_sims):
        x = 1000 + 8 * t + 120 * np.sin(2 * np.pi * t / 7) + 30 * rng.standard_normal(t.size)
        y = 50 + 0.4 * x + 25 * rng.standard_normal(t.size)
        y[~is_pre] += effect_per_day
        result = tbr_fit(y, x, is_pre, ~is_pre, incremental_cost=1.0, level=0.9, tails=2)
        covered += result.incremental_response_lower <= effect_per_day * n_test <= result.incremental_response_upper
    # binomial sd at n=1000 is about 0.95 points
    assert 0.87 <= covered / n_sims <= 0.93


def test_tbr_detects_injected_lift_on_a_market_panel():
    hits, errors = 0, []
    for seed in range(40):
        panel, truth = generate_geo_panel(lift=0.05, seed=seed)
        result = tbr_panel(
            panel, ["m00", "m01", "m02"], (panel.date_day.min(), pd.Timestamp("2025-03-31")),
            (pd.Timestamp("2025-04-01"), panel.date_day.max()), incremental_cost=1000.0, level=0.9, tails=1,
        )
        hits += result.incremental_response_lower > 0
        errors.append(result.incremental_response / truth - 1)
    assert hits / 40 >= 0.9  # a 5% lift over 30 days is detected
    assert abs(np.median(errors)) < 0.1


def test_tbr_rejects_bad_input():
    with pytest.raises(ValueError):
        tbr_fit([1, 2], [1, 2], [True, False], [False, True])
    with pytest.raises(ValueError):
        tbr_fit([1, 2, 3, 4], [1, 1, 1, 1], [True, True, True, False], [False, False, False, True])
