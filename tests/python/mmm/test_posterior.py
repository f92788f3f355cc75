"""The MCMC posterior: its density against brute-force integration, its per-draw
quantities against the model's own response code, recovery of a known world,
determinism, and the bring-your-own-data default."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from media_impact.mmm import posterior as P
from media_impact.mmm.fitting import fit_candidates
from media_impact.mmm.model import Fit, Settings

from synthetic import simulate

TRUE = {"alpha": [0.6, 0.3, 0.1], "half_sat": [1.0, 0.8, 1.2], "slope": [1.3, 1.0, 1.1], "beta": [0.25, 0.15, 0.08]}


def _projected_rows(m, F):
    """(W, N + K, C) rows the sampler's statistics stand for, formed explicitly as the
    model's solve does: features (C, W, N) centred per series, controls projected out."""
    C, W, _ = F.shape
    X = F.transpose(1, 2, 0).reshape(W, m.G, m.T, C)
    Xd = (X - X.mean(axis=2, keepdims=True)).reshape(W, m.N, C)
    out = np.concatenate([Xd, np.zeros((W, m.K, C))], axis=1) - np.einsum("nk,wjc,jk->wnc", m.q, Xd, m.qm)
    return out


def _random_draws(rng, S, C):
    return P.Draws(alpha=rng.uniform(0.1, 0.8, (S, C)), half_sat=rng.uniform(0.5, 2, (S, C)),
                   slope=rng.uniform(0.8, 2.5, (S, C)), beta=rng.uniform(0.05, 0.3, (S, C)),
                   sigma=np.full(S, 0.02), acceptance=0.0)


@pytest.fixture(scope="module")
def world():
    data, contrib, _ = simulate(noise=0.02, seed=11)
    res = fit_candidates("t", data, Settings(), [{}], None, {"folds": 0})
    return data, res


def test_density_matches_numerical_integral_over_beta(world):
    """One channel: the half-normal prior on beta integrated numerically equals the
    closed form (Gaussian marginal x orthant factor) up to the constant log 2."""
    data, _ = world
    one = replace(data, channels=["a"], spend=data.spend[:, :, :1])
    res = fit_candidates("t1", one, Settings(), [{}], None, {"folds": 0})
    pri = P.Priors()
    dens = P.Density(res.model, pri)
    u = dens.pack(np.array([0.5]), np.array([0.9]), np.array([1.2]), 0.03)
    closed = dens(u[None])[0] - dens.log_prior(u[None])[0]
    prec, b, sigma, scale = dens.linear(u[None])
    mr = dens.main
    Fr = _projected_rows(res.model, mr.features(np.array([[0.5]]), np.array([[0.9]]), np.array([[1.2]])))[0, :, 0]
    s2 = sigma[0] ** 2

    def integrand(beta):
        r = mr.y - Fr * beta
        ll = -0.5 * dens.dof * np.log(s2) - 0.5 * (r @ r) / s2
        tau = scale[0, 0]
        prior = (np.log(2.0) - 0.5 * (beta / tau) ** 2 - np.log(tau)
                 - 0.5 * np.log(2 * np.pi))
        return np.exp(ll + prior - closed)

    m = b[0, 0] / prec[0, 0, 0]
    sd = 1 / np.sqrt(prec[0, 0, 0])
    val, _ = integrate.quad(integrand, 0.0, max(m + 12 * sd, 12 * sd), points=[max(m, 0.0)], limit=200)
    assert np.log(val) == pytest.approx(np.log(2.0), abs=1e-6)


def test_quantities_match_the_models_response(world):
    """Per-draw incremental revenue, ROI and marginal ROI equal ChannelResponse's for the same parameters."""
    _, res = world
    m = res.model
    S, C = 3, m.C
    dr = _random_draws(np.random.default_rng(0), S, C)
    q = P.quantities(m, dr)
    for i in range(S):
        fit = replace(res.fit, theta=dr.theta()[i], beta=dr.beta[i])
        resp = m.response(fit)
        contrib = m.contributions(fit).sum(axis=(0, 1))
        for c in range(C):
            assert q["incremental"][i, c] == pytest.approx(resp.revenue(c, 1.0), rel=1e-9)
            assert q["roi"][i, c] == pytest.approx(resp.roi(c), rel=1e-9)
            assert q["mroi"][i, c] == pytest.approx(resp.marginal_roi(c), rel=1e-6)
            assert q["contribution"][i, c] == pytest.approx(contrib[c], rel=1e-9)


def test_posterior_is_deterministic(world):
    _, res = world
    a = P.posterior_draws(res)
    b = P.posterior_draws(res)
    assert np.array_equal(a["all"]["roi"], b["all"]["roi"])
    assert (a["draws"].beta >= 0).all()


def test_posterior_intervals_cover_known_roi_over_worlds():
    """Eight noisy worlds (seeds 11-18, chosen once), three channels each: the 90%
    intervals hold the true ROI for at least 19 of the 24 (a binomial(24, 0.9) falls
    below 19 with probability 1.5%), and the median |error| of the posterior median is
    under 30%."""
    covered, errors = 0, []
    for seed in range(11, 19):
        data, _, _ = simulate(noise=0.02, seed=seed)
        res = fit_candidates("t", data, Settings(), [{}], None, {"folds": 0})
        m = res.model
        true = replace(res.fit, theta=np.column_stack([TRUE["alpha"], TRUE["half_sat"], TRUE["slope"]]),
                       beta=np.array(TRUE["beta"]) * 1000.0 / m.y_scale[0])   # simulate's y is y_rel x 1000
        resp = m.response(true)
        truth = np.array([resp.roi(c) for c in range(3)])
        lo, med, hi = np.percentile(P.posterior_draws(res)["all"]["roi"], [5, 50, 95], axis=0)
        covered += int(((lo <= truth) & (truth <= hi)).sum())
        errors += list(np.abs(med / truth - 1))
    assert covered >= 19, covered
    assert np.median(errors) < 0.3, np.median(errors)


def test_byod_default_is_the_posterior_and_falls_back_for_other_forms(tmp_path):
    from media_impact.mmm.pipeline import run_all

    data, _, _ = simulate(noise=0.02, seed=12)
    df = pd.DataFrame({"week": pd.to_datetime(data.weeks), "revenue": data.y[0],
                       **{f"s_{c}": data.spend[0, :, i] for i, c in enumerate(data.channels)}})
    mapping = {"date_column": "week", "kpi_column": "revenue",
               "spend_columns": {c: f"s_{c}" for c in data.channels}}
    out = run_all(df, mapping, {"name": "t", "cv": {"folds": 0}})
    settings = out["model_runs"].settings_json.iloc[0]
    roi = out["channel_roi"]
    assert (roi.roi_lower_90 <= roi.roi).all() and (roi.roi <= roi.roi_upper_90).all()
    # the point is the posterior median, not the optimum
    assert '"curve_prior": false' in settings
    logistic = run_all(df, mapping, {"name": "t", "cv": {"folds": 0}, "model": {"saturation": "logistic"}})
    assert logistic["channel_roi"].roi_lower_90.notna().all()


def test_posterior_response_matches_channel_response_per_draw(world):
    """Every draw's revenue, marginal and flight revenue equal the point-fit code's
    (ChannelResponse, scenarios.flight_revenue) for the same parameters."""
    from media_impact.mmm.response_draws import PosteriorResponse
    from media_impact.mmm.scenarios import flight_revenue

    _, res = world
    m = res.model
    S, C = 4, m.C
    dr = _random_draws(np.random.default_rng(1), S, C)
    window = np.arange(m.T) >= m.T - 52
    pr = PosteriorResponse(m, dr, window)
    plan = np.linspace(0.5, 1.5, 12) * 40.0
    for i in range(S):
        fit = replace(res.fit, theta=dr.theta()[i], beta=dr.beta[i])
        cr = m.response(fit, window)
        for c in range(C):
            for mult in (0.0, 0.7, 1.0, 1.6):
                assert pr.revenue_draws(c, mult)[i] == pytest.approx(cr.revenue(c, mult), rel=1e-9, abs=1e-9)
                assert pr.marginal_draws(c, mult)[i] == pytest.approx(cr.marginal(c, mult), rel=1e-6)
            assert pr.flight_draws(m, c, plan)[i] == pytest.approx(
                flight_revenue(m, fit, c, plan, np.ones(m.G, bool)), rel=1e-9)
    assert pr.revenue(0, 1.0) == pytest.approx(np.mean([m.response(replace(res.fit, theta=dr.theta()[i], beta=dr.beta[i]),
                                                                    window).revenue(0, 1.0) for i in range(S)]), rel=1e-9)


def test_planning_tables_carry_intervals():
    from media_impact.mmm.pipeline import run_all

    data, _, _ = simulate(noise=0.02, seed=13)
    df = pd.DataFrame({"week": pd.to_datetime(data.weeks), "revenue": data.y[0],
                       **{f"s_{c}": data.spend[0, :, i] for i, c in enumerate(data.channels)}})
    mapping = {"date_column": "week", "kpi_column": "revenue",
               "spend_columns": {c: f"s_{c}" for c in data.channels}}
    out = run_all(df, mapping, {"name": "t", "cv": {"folds": 0}, "planning": {"reallocation": {"amount_usd": 500}}})
    sc = out["scenarios"]
    assert (sc.incremental_revenue_lower_90_usd <= sc.incremental_revenue_usd + 1e-9).all()
    assert (sc.incremental_revenue_usd <= sc.incremental_revenue_upper_90_usd + 1e-9).all()
    cur = sc[sc.scenario_id == "current"]
    assert (cur.scenario_gain_usd == 0).all() and (cur.scenario_gain_upper_90_usd == 0).all()
    opt = sc[sc.scenario_id == "optimal"].iloc[0]
    # the optimiser maximises expected revenue and history is feasible: the mean gain is >= 0
    assert opt.scenario_gain_usd >= -1e-6 * abs(cur.incremental_revenue_usd.sum())
    assert opt.scenario_gain_lower_90_usd <= opt.scenario_gain_usd <= opt.scenario_gain_upper_90_usd
    alloc = out["budget_allocation"]
    assert np.allclose(alloc.optimal_gain_usd, opt.scenario_gain_usd)
    cv = out["response_curves"]
    now = cv[cv.is_current_spend]
    assert (now.incremental_revenue_lower_90_usd < now.incremental_revenue_usd).all()
    assert (now.incremental_revenue_usd < now.incremental_revenue_upper_90_usd).all()
    # the curve at today's spend is the posterior mean of the channel's window revenue
    assert (cv[cv.spend_multiplier == 0].incremental_revenue_usd.abs() < 1e-9).all()


def test_sampler_statistics_match_the_models_rows():
    """The sampler's sufficient statistics (main rows X'X, X'y; retailer rows M'M, M'y) equal
    those of the rows formed explicitly from the model's own projection and
    MMM.split_columns, and its experiment gains MMM.experiment_gain, for every walker of
    a market panel."""
    from media_impact.mmm.model import MMM, Experiment
    from media_impact.mmm.posterior_density import CalibrationRows, MainRows, SplitRows, geometric_weights
    from synthetic import simulate_retail_panel

    data, _, _ = simulate_retail_panel()
    exps = [Experiment("tv", data.weeks[60], data.weeks[71], 5000.0, 900.0, 3000.0, ["m0", "m2"], "e1"),
            Experiment("search", data.weeks[90], data.weeks[95], 800.0, 300.0, None, None, "e2")]
    m = MMM(data, Settings(), exps, sigma=0.02)
    assert m.E == 1 and m._n_cal_rows() == 2
    rng = np.random.default_rng(3)
    draws = _random_draws(rng, 3, m.C)
    sr, cr = SplitRows(m), CalibrationRows(m)
    mr = MainRows(m)
    Fw = np.stack([m.features(draws.theta()[i]) for i in range(3)])           # (W, G, T + L, C)
    F = np.ascontiguousarray(Fw[:, :, : m.T].reshape(3, m.N, m.C).transpose(2, 0, 1))   # (C, W, N)
    gram, xtx, xty = mr.stats(F)
    mtm, mty = sr.stats(F, gram)
    X = _projected_rows(m, F)
    gains = cr.gains(geometric_weights(draws.alpha, m.L), draws.half_sat, draws.slope)
    for i in range(3):
        np.testing.assert_allclose(xtx[i], X[i].T @ X[i], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(xty[i], X[i].T @ m.yr, rtol=1e-9, atol=1e-9)
        M = m.split_columns(Fw[i]).reshape(-1, m.E)
        np.testing.assert_allclose(mtm[i], M.T @ M, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(mty[i], M.T @ m.split["lhs"].ravel(), rtol=1e-9, atol=1e-9)
        for k in range(2):
            assert gains[i, k] == pytest.approx(m.experiment_gain(draws.theta()[i], k), rel=1e-9)


def test_likelihood_weight_is_the_ar1_effective_share():
    """AR(1) residuals with rho 0.5 count as (1 - 0.5) / (1 + 0.5) = 1/3 of independent
    weeks; white noise as all of them; the weight never goes under 0.25."""
    from media_impact.mmm.posterior_density import likelihood_weight

    rng = np.random.default_rng(0)
    e = np.zeros((4, 20000))
    shocks = rng.standard_normal(e.shape)
    for t in range(1, e.shape[1]):
        e[:, t] = 0.5 * e[:, t - 1] + shocks[:, t]
    assert likelihood_weight(e) == pytest.approx(1 / 3, abs=0.01)
    assert likelihood_weight(shocks) == pytest.approx(1.0, abs=0.01)
    assert likelihood_weight(np.cumsum(shocks, axis=1)) == 0.25


def test_likelihood_weight_counts_a_shock_common_to_the_markets_once():
    """A panel of G = 10 series whose residuals share a weekly shock with correlation 0.3
    and whose spend moves together (correlation 1) has the Moulton design effect
    1 + 9 x 0.3 = 3.7; independent spend plans (correlation 0) leave the weight at 1."""
    from media_impact.mmm.posterior_density import likelihood_weight

    rng = np.random.default_rng(1)
    G, T = 10, 20000
    common = rng.standard_normal(T)
    e = np.sqrt(0.3) * common + np.sqrt(0.7) * rng.standard_normal((G, T))
    together = np.repeat(rng.random((1, T, 2)), G, axis=0) * rng.uniform(1, 3, (G, 1, 1))
    assert likelihood_weight(e, together) == pytest.approx(1 / 3.7, rel=0.03)
    assert likelihood_weight(e, rng.random((G, T, 2))) == pytest.approx(1.0, abs=0.02)
    assert likelihood_weight(e) == pytest.approx(1.0, abs=0.02)    # without spend: weeks only


def test_donor_prior_moves_half_saturation_by_the_per_capita_spend_ratio():
    """Another country's curve draws become this one's prior: carryover and slope as they
    are, log half-saturation shifted by log(donor per-capita spend / this one's)."""
    from synthetic import simulate_retail_panel

    donor, _, _ = simulate_retail_panel(seed=5)
    order = [donor.channels.index("rm"), donor.channels.index("tv"), donor.channels.index("search")]
    other = replace(donor, spend=donor.spend[:, :, order] * 2.0, channels=["rm", "tv", "new"])  # 2x per capita
    rng = np.random.default_rng(0)
    S, C = 500, len(donor.channels)
    u = rng.normal(0.0, 0.1, (S, 3 * C + 1)) + np.arange(3 * C + 1)
    draws = replace(_random_draws(rng, S, C), u=u)
    idx, mu, prec = P.donor_prior((type("R", (), {"data": donor})(), draws), other)
    Co = len(other.channels)
    # rm is donor channel 1 and the recipient's channel 0, tv donor 0 -> recipient 1; "new" has no prior
    assert list(idx) == [0, Co, 2 * Co, 1, Co + 1, 2 * Co + 1]
    j_rm, j_tv = donor.channels.index("rm"), donor.channels.index("tv")
    want = np.array([j_rm, C + j_rm, 2 * C + j_rm, j_tv, C + j_tv, 2 * C + j_tv], float)
    want[[1, 4]] += np.log(0.5)
    np.testing.assert_allclose(mu, want, atol=0.02)
    np.testing.assert_allclose(np.diag(np.linalg.inv(prec)), 0.01, rtol=0.2)
