import numpy as np
import pytest

from media_impact.forecast.reconcile import wls_matrix, wls_two_level


def test_closed_form_matches_matrix_formula():
    rng = np.random.default_rng(3)
    bottom = rng.uniform(50, 150, 5)
    var_b = rng.uniform(1, 9, 5)
    total, var_t = 520.0, 12.0
    S = np.vstack([np.ones(5), np.eye(5)])
    W = np.diag(np.r_[var_t, var_b])
    full = wls_matrix(np.r_[total, bottom], S, W)
    closed = wls_two_level(total, bottom, var_t, var_b)
    assert closed == pytest.approx(full[1:])
    assert closed.sum() == pytest.approx(full[0])


def test_limits_bottom_up_and_top_down():
    bottom = np.array([10.0, 20.0, 30.0])
    # an uninformative total leaves the series as they are (bottom-up)
    assert wls_two_level(100.0, bottom, 1e12, np.ones(3)) == pytest.approx(bottom, abs=1e-6)
    # an exact total forces the sum, spreading the gap by variance
    rec = wls_two_level(90.0, bottom, 0.0, np.array([1.0, 1.0, 2.0]))
    assert rec.sum() == pytest.approx(90.0)
    assert rec - bottom == pytest.approx([7.5, 7.5, 15.0])
