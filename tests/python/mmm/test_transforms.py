"""Transforms against hand computations."""
import numpy as np
import pytest

from media_impact.mmm import transforms as tf


def test_geometric_adstock_normalised_by_hand():
    # weights 1, .5, .25 over their sum 1.75; spend 1 then 2
    out = tf.geometric_adstock(np.array([1.0, 2.0, 0.0, 0.0]), 0.5, l_max=3, normalize=True)
    w = np.array([1, 0.5, 0.25]) / 1.75
    expected = [w[0], 2 * w[0] + w[1], 2 * w[1] + w[2], 2 * w[2]]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # normalised adstock keeps total spend once the tail is inside the window
    assert out.sum() == pytest.approx(3.0)


def test_geometric_adstock_unnormalised_by_hand():
    out = tf.geometric_adstock(np.array([4.0, 0.0, 0.0, 0.0]), 0.5, l_max=3, normalize=False)
    np.testing.assert_allclose(out, [4.0, 2.0, 1.0, 0.0])


def test_weibull_weights_by_hand():
    # cdf form, unnormalised: exp(-(l / (scale * l_max))^shape); l_max 4, scale .5 -> s = 2
    w = tf.weibull_weights(shape=2.0, scale=0.5, l_max=4, kind="cdf", normalize=False)
    np.testing.assert_allclose(w, np.exp(-(np.arange(4) / 2.0) ** 2))
    # pdf form, normalised: Weibull density at l + 1, divided by the sum
    k, s = 1.5, 0.5 * 4
    x = (np.arange(4) + 1) / s
    dens = (k / s) * x ** (k - 1) * np.exp(-x ** k)
    np.testing.assert_allclose(tf.weibull_weights(k, 0.5, 4, "pdf"), dens / dens.sum())


def test_hill_by_hand():
    assert tf.hill(np.array(2.0), half_sat=2.0, slope=3.0) == pytest.approx(0.5)
    assert tf.hill(np.array(2.0), half_sat=1.0, slope=2.0) == pytest.approx(4 / 5)
    assert tf.hill(np.array(0.0), 1.0, 1.0) == 0.0


def test_logistic_by_hand():
    lam, x = 2.0, 1.0
    assert tf.logistic(np.array(x), lam) == pytest.approx((1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x)))


@pytest.mark.parametrize("fn,dfn,args", [(tf.hill, tf.hill_derivative, (1.3, 1.7)),
                                         (tf.logistic, tf.logistic_derivative, (2.5,))])
def test_saturation_derivatives_match_differences(fn, dfn, args):
    x = np.linspace(0.2, 3.0, 7)
    h = 1e-6
    np.testing.assert_allclose(dfn(x, *args), (fn(x + h, *args) - fn(x - h, *args)) / (2 * h), rtol=1e-6)
