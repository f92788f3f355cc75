"""The response functions against hand computations."""
import numpy as np
import pytest

from media_impact.world.effects import channel_effect_usd, geometric_adstock, geometric_weights, hill


def test_geometric_weights_sum_to_one_and_decay():
    w = geometric_weights(0.5, 3)
    assert w == pytest.approx(np.array([1, 0.5, 0.25, 0.125]) / 1.875)


def test_geometric_adstock_by_hand():
    spend = np.array([10.0, 0.0, 0.0, 4.0, 0.0])
    # weights for decay 0.5, max lag 2: [1, .5, .25] / 1.75
    expected = np.array([10, 5, 2.5, 4, 2]) / 1.75
    assert geometric_adstock(spend, 0.5, 2) == pytest.approx(expected)


def test_adstock_truncates_at_max_lag():
    spend = np.zeros(12)
    spend[0] = 1.0
    out = geometric_adstock(spend, 0.9, 8)
    assert out[8] > 0 and np.all(out[9:] == 0)
    assert out.sum() == pytest.approx(1.0)  # normalised: total carryover equals the spend


def test_hill_half_saturation_and_limits():
    assert hill(np.array([2.0]), 2.0, 1.7)[0] == pytest.approx(0.5)
    assert hill(np.array([0.0]), 2.0, 1.7)[0] == 0.0
    assert hill(np.array([1e9]), 2.0, 1.7)[0] == pytest.approx(1.0)
    # slope 1: z / (z + k)
    assert hill(np.array([3.0]), 1.0, 1.0)[0] == pytest.approx(0.75)


def test_channel_effect_by_hand():
    spend = np.array([[2000.0], [0.0]])  # one market of 1,000k people
    pop_k = np.array([1000.0])
    out = channel_effect_usd(spend, pop_k, decay=0.5, max_lag=1, half_sat=1.0, slope=1.0, effect_max=10.0)
    z0, z1 = 2000 / 1.5 / 1000, 1000 / 1.5 / 1000
    assert out[:, 0] == pytest.approx([1000 * 10 * z0 / (z0 + 1), 1000 * 10 * z1 / (z1 + 1)])
