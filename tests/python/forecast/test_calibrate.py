"""Conformal calibration of the P10/P90 forecasts against hand computations."""
import numpy as np
import pandas as pd
import pytest

from media_impact.forecast.pipeline import calibrate

QUANTILES = [0.1, 0.5, 0.9]


def _scores(lo_scores, hi_scores):
    # columns are quantile positions; s_tau = (y - q_tau) / L
    return pd.DataFrame({"0": lo_scores, "1": np.zeros(len(lo_scores)), "2": hi_scores})


def test_cqr_widens_both_bounds_by_one_margin():
    raw = np.array([[90.0, 100.0, 110.0]])
    level = np.array([10.0])
    # 9 past actuals: E = max(-(s_lo), s_hi) = max(q_lo - y, y - q_hi) / L
    s_lo = np.array([0.5, 0.9, 1.2, 1.5, 2.0, 2.2, 2.5, 3.0, 4.0])      # every actual above its P10
    s_hi = s_lo - 2.0                                                  # interval width 2 (scaled)
    e = np.maximum(-s_lo, s_hi)                                        # -0.5 .. 2.0
    # ceil((n + 1) * 0.8) / n = ceil(8) / 9 -> the 8th smallest of 9 ("higher")
    q = np.sort(e)[7]
    out = calibrate(raw, level, _scores(s_lo, s_hi), QUANTILES, [0.1, 0.9], method="cqr")
    assert q == pytest.approx(1.0)
    np.testing.assert_allclose(out[0], [90.0 - 10.0 * q, 100.0, 110.0 + 10.0 * q])


def test_cqr_does_not_pull_the_lower_bound_up_when_errors_lean_high():
    raw = np.array([[90.0, 100.0, 110.0]])
    level = np.array([10.0])
    s_lo = np.full(20, 3.0)   # actuals far above P10 ...
    s_hi = np.full(20, 1.0)   # ... and above P90
    shift = calibrate(raw, level, _scores(s_lo, s_hi), QUANTILES, [0.1, 0.9], method="shift")
    cqr = calibrate(raw, level, _scores(s_lo, s_hi), QUANTILES, [0.1, 0.9], method="cqr")
    # the one-sided shift moves P10 up by 30, past the median (columns are then re-sorted)
    assert shift[0, 0] == pytest.approx(100.0) and shift[0, 2] == pytest.approx(120.0)
    assert cqr[0, 0] == pytest.approx(90.0 - 10.0 * 1.0)     # CQR widens it
    assert cqr[0, 2] == pytest.approx(110.0 + 10.0 * 1.0)
    assert cqr[0, 1] == 100.0   # the median stays as fitted


def test_shift_moves_each_level_by_its_own_score_quantile():
    raw = np.array([[90.0, 100.0, 110.0]])
    level = np.array([2.0])
    s_lo = np.linspace(-1.0, 1.0, 11)
    s_hi = np.linspace(-2.0, 0.0, 11)
    out = calibrate(raw, level, _scores(s_lo, s_hi), QUANTILES, [0.1, 0.9], method="shift")
    np.testing.assert_allclose(out[0], [90.0 + 2.0 * np.quantile(s_lo, 0.1), 100.0, 110.0 + 2.0 * np.quantile(s_hi, 0.9)])


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="cqr"):
        calibrate(np.array([[1.0, 2.0, 3.0]]), np.array([1.0]), _scores([0.0], [0.0]), QUANTILES, [0.1, 0.9], "other")
