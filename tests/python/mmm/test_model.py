"""Fitting, gradient, determinism, calibration and bootstrap on a world with known truth."""
import numpy as np
import pytest
from scipy.optimize import approx_fprime

from media_impact.mmm.fitting import bootstrap, fit_candidates
from media_impact.mmm.model import MMM, Experiment, Settings

from synthetic import simulate


@pytest.fixture(scope="module")
def fitted():
    data, contrib, y_rel = simulate()
    res = fit_candidates("syn", data, Settings(saturation="hill", l_max=8, ridge=1e-6, n_starts=4),
                         [{}], cv={"folds": 2, "horizon_weeks": 13})
    return data, contrib, y_rel, res


def test_recovers_known_contributions(fitted):
    data, contrib, y_rel, res = fitted
    # true contribution in USD = contrib (relative) x mean revenue scale used by the model
    true_usd = contrib.sum(axis=0) * data.y.mean() / y_rel.mean()
    got = res.model.contributions(res.fit).sum(axis=(0, 1))
    np.testing.assert_allclose(got, true_usd, rtol=0.10)
    assert res.metrics["mape_oos"] < 0.03


def test_envelope_gradient_matches_finite_differences(fitted):
    data, *_ = fitted
    m = MMM(data, Settings(saturation="hill", l_max=8))
    v = np.array([0.5, 1.1, 1.4, 0.3, 0.9, 1.0, 0.2, 1.0, 1.2])
    _, g = m.objective_and_grad(v)
    np.testing.assert_allclose(g, approx_fprime(v, m.objective, 1e-7), rtol=1e-3, atol=1e-9)


def test_fit_is_bit_for_bit_deterministic():
    data, *_ = simulate()
    s = Settings(saturation="hill", l_max=8, n_starts=3)
    f1, f2 = MMM(data, s).fit(), MMM(data, s).fit()
    assert np.array_equal(f1.theta, f2.theta) and np.array_equal(f1.fitted, f2.fitted)


def test_calibration_moves_estimate_toward_experiment(fitted):
    data, _, _, res = fitted
    s = res.settings
    resp = res.model.response(res.fit)
    c = 1
    weeks = np.asarray(data.weeks)
    start, end = weeks[60], weeks[67]
    # go-dark experiment in weeks 60..67 whose measured lift is twice the model's
    base_model = MMM(data, s, [Experiment("b", start, end, 1.0, 1.0)], sigma=1.0)
    gain = base_model.experiment_gain(res.fit.theta, 0) * res.fit.beta[c]
    lift = 2.0 * gain
    exp = Experiment("b", start, end, lift_usd=lift, se_usd=0.05 * lift)
    resid = (data.y - res.fit.fitted) / res.model.y_scale[:, None]
    sigma = float(np.sqrt(np.mean(resid ** 2)))
    mc = MMM(data, s, [exp], sigma)
    fc = mc.fit(starts=[res.fit.theta])
    new_gain = mc.experiment_gain(fc.theta, 0) * fc.beta[c]
    assert abs(new_gain - lift) < 0.5 * abs(gain - lift)
    assert mc.response(fc).roi(c) > resp.roi(c)


def test_bootstrap_intervals_reproducible_and_cover_truth(fitted):
    data, contrib, y_rel, res = fitted
    b1 = bootstrap(res, n=20, seed=5, maxiter=10)
    b2 = bootstrap(res, n=20, seed=5, maxiter=10)
    assert np.array_equal(b1["all"]["roi"], b2["all"]["roi"])
    lo, hi = np.percentile(b1["all"]["contribution"], [5, 95], axis=0)
    assert np.all(hi >= lo)


def test_strong_curve_prior_holds_parameters_at_its_mean(fitted):
    data, *_ = fitted
    s = Settings(saturation="hill", l_max=8, n_starts=1, maxiter=100)
    m = MMM(data, s)
    free = m.fit()
    mu = np.array([0.45, 1.5, 1.2, 0.25, 0.7, 1.3, 0.3, 1.0, 1.0])
    m = m.like(data, prior=(mu, 1e6 * np.eye(mu.size), free.objective / m.N))
    f = m.fit(starts=[mu])
    gap_free, gap_prior = np.abs(free.theta.ravel() - mu).max(), np.abs(f.theta.ravel() - mu).max()
    assert gap_free > 0.2 and gap_prior < 0.01, (gap_free, gap_prior)
    # and the penalty's gradient is the derivative of the penalty
    v = mu + 0.01
    _, g = m.penalty(v)
    num = approx_fprime(v, lambda x: m.penalty(x)[0], 1e-7)
    np.testing.assert_allclose(g, num, rtol=1e-4)


def test_default_curve_prior_pulls_only_the_named_parameter(fitted):
    """``curve_prior: {slope: [mean, sd]}``: a tight prior holds every channel's slope
    at its mean and leaves carryover and half-saturation to the data; a wide one
    changes nothing."""
    from media_impact.mmm.fitting import default_curve_prior, fit_one

    data, *_ = fitted
    base = dict(saturation="hill", l_max=8, n_starts=1, maxiter=100)
    m0, f0, _ = fit_one(data, Settings(**base))
    mu, prec = default_curve_prior(m0, {"slope": [1.7, 0.25], "no_such_param": [0.0, 1.0]})
    P = m0.P
    assert np.count_nonzero(prec) == m0.C and np.allclose(mu[2::P], 1.7) and prec[2, 2] == 16.0
    _, tight, _ = fit_one(data, Settings(**base, curve_prior={"slope": [1.7, 0.001]}))
    assert np.abs(tight.theta[:, 2] - 1.7).max() < 0.01 < np.abs(f0.theta[:, 2] - 1.7).max()
    _, wide, _ = fit_one(data, Settings(**base, curve_prior={"slope": [1.7, 1e6]}))
    np.testing.assert_allclose(wide.theta, f0.theta, atol=1e-4)
