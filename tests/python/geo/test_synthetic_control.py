"""Synthetic control: parity with GeoLift's walkthrough and recovery of an injected lift."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from media_impact.geo import synthetic_control
from media_impact.geo.synthetic_control import simplex_least_squares

from .conftest import generate_geo_panel


def test_synthetic_control_matches_geolift_walkthrough(reference_data):
    panel = pd.read_csv(reference_data / "geolift_test.csv", parse_dates=["date"])
    days = sorted(panel["date"].unique())
    result = synthetic_control(
        panel, ["chicago", "portland"], (days[0], days[89]), (days[90], days[104]),
        market_col="location", time_col="date", value_col="Y",
    )
    assert result.att == pytest.approx(155.556, abs=5e-4)
    assert round(100 * result.lift, 1) == 5.4
    assert round(result.incremental) == 4667
    assert result.observed_total == 90717
    weights = result.weights
    assert list(weights.index[:3]) == ["cincinnati", "miami", "baton rouge"]
    assert weights["cincinnati"] == pytest.approx(0.2272, abs=5e-5)
    assert weights["miami"] == pytest.approx(0.2028, abs=5e-5)
    assert weights["baton rouge"] == pytest.approx(0.1335, abs=5e-5)
    assert weights.sum() == pytest.approx(1.0, abs=1e-6)
    assert (weights >= -1e-8).all()
    assert result.p_value < 0.1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_simplex_solver_beats_or_equals_generic_optimiser(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(40, 12))
    b = a[:, :3] @ np.array([0.5, 0.3, 0.2]) + 0.1 * rng.normal(size=40)
    w = simplex_least_squares(a, b)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0)
    objective = lambda v: float(((a @ v - b) ** 2).sum())
    generic = minimize(
        objective, np.full(12, 1 / 12), method="SLSQP", bounds=[(0, 1)] * 12,
        constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1}], options={"ftol": 1e-14, "maxiter": 500},
    )
    assert objective(w) <= generic.fun + 1e-9
    # KKT: gradient equal on the support, not smaller off it
    grad = 2 * a.T @ (a @ w - b)
    support = w > 1e-10
    assert np.ptp(grad[support]) < 1e-6
    assert grad[~support].min() >= grad[support].max() - 1e-6


def test_synthetic_control_recovers_injected_lift():
    panel, truth = generate_geo_panel(lift=0.08, noise_sd=0.02, seed=7)
    result = synthetic_control(
        panel, ["m00", "m01", "m02"], (panel.date_day.min(), pd.Timestamp("2025-03-31")),
        (pd.Timestamp("2025-04-01"), panel.date_day.max()),
    )
    assert result.incremental == pytest.approx(truth, rel=0.15)
    assert result.lift == pytest.approx(0.08, abs=0.012)
    assert result.p_value <= 0.05


def test_conformal_p_value_is_not_small_without_an_effect():
    p_values = []
    for seed in range(20):
        panel, _ = generate_geo_panel(lift=0.0, seed=100 + seed, n_markets=10)
        result = synthetic_control(
            panel, ["m00", "m01", "m02"], (panel.date_day.min(), pd.Timestamp("2025-03-31")),
            (pd.Timestamp("2025-04-01"), panel.date_day.max()),
        )
        p_values.append(result.p_value)
    # under the null the p-value is roughly uniform: few land below 0.1
    assert np.mean(np.asarray(p_values) < 0.1) <= 0.25
    assert np.median(p_values) > 0.2


def test_simplex_solver_is_scale_free():
    """Revenue-sized series (1e6) must give the same, feasible weights as unit-sized ones."""
    rng = np.random.default_rng(5)
    a = rng.normal(size=(30, 6))
    b = a[:, :2] @ np.array([0.7, 0.3]) + 0.05 * rng.normal(size=30)
    small = simplex_least_squares(a, b)
    large = simplex_least_squares(a * 7e5, b * 7e5)
    assert large.sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(large, small, atol=1e-9)
