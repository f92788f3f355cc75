"""Retailer rows (MMM._compile_split): gradient, recovery against known truth, input checks,
and the Driscoll-Kraay meat of the robust Laplace covariance."""
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime

from media_impact.mmm.data import panel_from_frame
from media_impact.mmm.fitting import driscoll_kraay_meat, fit_one, hac_lags, laplace, ModelResult
from media_impact.mmm.model import MMM, Settings

from synthetic import simulate_retail_panel

S = Settings(saturation="hill", l_max=9, ridge=1e-6, n_starts=3, trend="none", fourier_order=1)


@pytest.fixture(scope="module")
def panel():
    return simulate_retail_panel()


@pytest.fixture(scope="module")
def fitted(panel):
    data, own, true_inc = panel
    m, f, _ = fit_one(data, S)
    return m, f


def test_blocks_leave_out_the_redundant_retailer(panel):
    data, *_ = panel
    m = MMM(data, S)
    # two retailers, only r1 is acted on: one block per market, for r1; no block for r0
    assert m.split["blocks"] == [(g, "r1") for g in data.groups] and m.E == 1
    both = MMM(data.__class__(**{**data.__dict__, "channel_split": {"rm": "r1", "tv": "r0"}}), S)
    # both retailers acted on: they sum to the total, so the larger one (r0) is left out
    assert [b[1] for b in both.split["blocks"]] == ["r1"] * 4 and both.E == 2


def test_envelope_gradient_with_retailer_rows(panel):
    data, *_ = panel
    m = MMM(data, S)
    v = np.array([0.5, 1.1, 1.2, 0.4, 0.8, 1.0, 0.2, 1.0, 1.1])
    _, g = m.objective_and_grad(v)
    np.testing.assert_allclose(g, approx_fprime(v, m.objective, 1e-7), rtol=2e-3, atol=1e-8)


def test_recovers_own_share_curve_and_roi(panel, fitted):
    """The retailer rows pin retail media's curve (true alpha 0.3, half_sat 0.9, slope
    1.1), its own-retailer share (0.8) and its incremental revenue. (tv and search have
    no retailer rows and this small panel does not pin them; they are not checked.)"""
    data, own, true_inc = panel
    m, f = fitted
    c = data.channels.index("rm")
    assert abs(f.split_coef[0] / f.beta[c] - own) < 0.1
    np.testing.assert_allclose(f.theta[c], [0.3, 0.9, 1.1], rtol=0.05, atol=0.02)
    assert abs(m.response(f).revenue(c, 1.0) / true_inc[c] - 1) < 0.05
    # the same fit without the rows misses the curve by more
    m0, f0, _ = fit_one(data, Settings(**{**S.__dict__, "split_rows": False}))
    err = lambda th: np.abs(th / np.array([0.3, 0.9, 1.1]) - 1).max()
    assert err(f.theta[c]) < err(f0.theta[c])


def test_without_the_split_the_rows_are_off(panel):
    data, *_ = panel
    m = MMM(data, Settings(**{**S.__dict__, "split_rows": False}))
    assert m.split is None and m.E == 0


def test_parts_that_do_not_add_up_are_refused():
    df = pd.DataFrame({"week": pd.date_range("2024-01-01", periods=3, freq="W-MON"), "kpi": [10.0, 10.0, 10.0],
                       "tv": [1.0, 2.0, 3.0], "a": [6.0, 6.0, 6.0], "b": [4.0, 3.0, 4.0]})
    mapping = {"date_column": "week", "kpi_column": "kpi", "spend_columns": {"tv": "tv"},
               "split_columns": {"a": "a", "b": "b"}}
    with pytest.raises(ValueError, match=r"split_columns do not add up to 'kpi': 1 series-weeks, first all 2024-01-08"):
        panel_from_frame(df, mapping)


def test_driscoll_kraay_meat_by_hand():
    s = np.array([[1.0, 0.0], [2.0, 1.0], [0.0, -1.0], [1.0, 1.0]])
    got = driscoll_kraay_meat(s, 1)
    lag1 = sum(np.outer(s[t], s[t - 1]) for t in range(1, 4))
    np.testing.assert_allclose(got, s.T @ s + 0.5 * (lag1 + lag1.T))
    assert hac_lags(156) == 4 and hac_lags(52) == 3


def test_robust_laplace_intervals_are_reproducible_and_cover(panel, fitted):
    data, own, true_inc = panel
    m, f = fitted
    res = ModelResult("syn", data, S, m, f, pd.DataFrame(), {})
    a = laplace(res, 100, seed=3, robust="driscoll_kraay")
    b = laplace(res, 100, seed=3, robust="driscoll_kraay")
    np.testing.assert_array_equal(a["x"]["incremental"], b["x"]["incremental"])
    c = data.channels.index("rm")
    lo, hi = np.percentile(a["x"]["incremental"][:, c], [5, 95])
    # retail media's interval reaches the truth (within 2%; tv and search are not pinned here)
    assert lo <= true_inc[c] * 1.02 and true_inc[c] * 0.98 <= hi, (lo, true_inc[c], hi)


def test_sample_world_frame_splits_revenue_like_the_pos_feeds():
    """The benchmark's in-memory world: retailer parts add up to the KPI, carry about
    1% Poisson noise around the generator's expectation, and Walmart's week starts on
    the Saturday before its Monday week."""
    from media_impact.mmm.sample_world import world_frame
    from media_impact.world.simulate import revenue_by_retailer_product

    df, mapping, w = world_frame()
    parts = df[list(mapping["split_columns"].values())].sum(axis=1)
    np.testing.assert_allclose(parts, df.revenue_usd, rtol=1e-12)
    assert mapping["channel_splits"] == {"retail_media_amazon": "amazon", "retail_media_walmart": "walmart",
                                         "retail_media_target": "target"}
    exp = revenue_by_retailer_product(w).sum(axis=3)           # (T, M, R)
    got = df["revenue__amazon"].to_numpy().reshape(exp.shape[:2])
    rel = got / exp[:, :, 0] - 1
    assert abs(rel.mean()) < 0.002 and 0.002 < rel.std() < 0.02
    prof = np.asarray(w.spec["weekday_profile"], float)
    lead = (prof[5] + prof[6]) / prof.sum()
    wal = exp[:, :, 1]
    shifted = lead * np.vstack([wal[:1], wal[:-1]]) + (1 - lead) * wal
    got_w = df["revenue__walmart"].to_numpy().reshape(wal.shape)
    # closer to the shifted expectation than to the unshifted one
    assert np.abs(got_w / shifted - 1).mean() < np.abs(got_w / wal - 1).mean()
