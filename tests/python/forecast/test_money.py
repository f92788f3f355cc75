import numpy as np
import pytest
from scipy.stats import norm

from media_impact.forecast.money import critical_fractile, newsvendor_cost, quantile_at


def test_critical_fractile_hand():
    assert critical_fractile(5.2, 0.35) == pytest.approx(5.2 / 5.55)
    assert critical_fractile(1.0, 1.0) == pytest.approx(0.5)


def test_quantile_at_passes_through_the_forecast_quantiles():
    p10, p50, p90 = 80.0, 100.0, 130.0
    assert quantile_at(0.1, p10, p50, p90) == pytest.approx(p10)
    assert quantile_at(0.5, p10, p50, p90) == pytest.approx(p50)
    assert quantile_at(0.9, p10, p50, p90) == pytest.approx(p90)


def test_quantile_at_extrapolates_with_normal_tails_hand():
    # tau = 0.975: z = 1.959964 / 1.281552 = 1.529367 -> 100 + 30 * 1.529367
    assert quantile_at(0.975, 80.0, 100.0, 130.0) == pytest.approx(100 + 30 * 1.959964 / 1.281552, rel=1e-6)
    # lower side uses the lower spread: tau = 0.25 -> 100 - 20 * 0.674490 / 1.281552
    assert quantile_at(0.25, 80.0, 100.0, 130.0) == pytest.approx(100 - 20 * 0.674490 / 1.281552, rel=1e-6)


def test_quantile_at_is_exact_for_a_normal_distribution():
    mu, sd = 500.0, 40.0
    p10, p50, p90 = norm.ppf([0.1, 0.5, 0.9], mu, sd)
    for tau in (0.05, 0.3, 0.7, 0.937, 0.99):
        assert quantile_at(tau, p10, p50, p90) == pytest.approx(norm.ppf(tau, mu, sd), rel=1e-9)


def test_newsvendor_cost_hand():
    cost = newsvendor_cost([90, 110], [100, 100], 5.0, 0.5)
    assert cost.tolist() == pytest.approx([50.0, 5.0])


def test_critical_fractile_stock_beats_median_in_expectation():
    rng = np.random.default_rng(7)
    demand = rng.normal(1000, 100, 200_000)
    cu, co = 5.2, 0.35
    tau = critical_fractile(cu, co)
    q_tau = norm.ppf(tau, 1000, 100)
    cost_tau = newsvendor_cost(q_tau, demand, cu, co).mean()
    cost_med = newsvendor_cost(1000, demand, cu, co).mean()
    assert cost_tau < 0.6 * cost_med
    # and tau is the minimiser: nearby stock levels cost more
    for q in (q_tau - 30, q_tau + 30):
        assert newsvendor_cost(q, demand, cu, co).mean() > cost_tau
