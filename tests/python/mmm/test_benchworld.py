"""The robustness bench's world generator (media_impact.mmm.benchworld): fast, no fit."""
import numpy as np
import pandas as pd
import pytest

from media_impact.mmm.benchworld import draw_world, write_world
from media_impact.mmm.data import frame_from_csv, load_config, panel_from_frame

SEEDS = range(7000, 7030)


@pytest.fixture(scope="module")
def worlds():
    return [draw_world(s) for s in SEEDS]


def test_deterministic_per_seed():
    a, b, c = draw_world(7003), draw_world(7003), draw_world(7004)
    assert a.channels == b.channels
    np.testing.assert_array_equal(a.revenue, b.revenue)
    np.testing.assert_array_equal(a.spend, b.spend)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert a.world_meta == b.world_meta
    assert not (len(a.revenue) == len(c.revenue) and np.array_equal(a.revenue, c.revenue))


def test_settings_span_the_stated_ranges(worlds):
    n_ch = [len(w.channels) for w in worlds]
    n_wk = [len(w.weeks) for w in worlds]
    share = [w.world_meta["media_share"] for w in worlds]
    noise = [w.world_meta["noise_share"] for w in worlds]
    assert 3 <= min(n_ch) <= 4 and 7 <= max(n_ch) <= 8
    assert 104 <= min(n_wk) < 130 and 180 < max(n_wk) <= 208
    assert 0.10 <= min(share) < 0.15 and 0.30 < max(share) <= 0.35
    assert 0.02 <= min(noise) < 0.03 and 0.05 < max(noise) <= 0.06
    kinds = {k for w in worlds for k in w.world_meta["spend_plans"].values()}
    assert kinds == {"always_on", "flighted", "burst", "correlated"}
    for w in worlds:
        assert len(set(w.channels)) == len(w.channels)
        assert (w.spend >= 0).all() and (w.spend.sum(axis=0) > 0).all()
        assert w.weeks[0] == pd.Timestamp("2021-01-04") and (w.weeks.dayofweek == 0).all()
        t = w.truth
        assert t.adstock.isin(["geometric", "delayed"]).all()
        assert t.alpha.between(0.1, 0.8).all() and t.max_lag.between(8, 12).all()
        assert t.slope.between(0.8, 2.5).all() and (t.beta > 0).all() and (t.true_roi > 0).all()
        # realised media share of revenue close to the drawn share (noise is mean zero)
        assert w.world_meta["media_share_realised"] == pytest.approx(w.world_meta["media_share"], abs=0.02)
    means = np.concatenate([w.spend.mean(axis=0) for w in worlds])
    assert means.max() / means.min() > 10


def _incremental_by_loop(w, c, mult=1.0):
    """Independent re-implementation: explicit loops over weeks and lags, tail included."""
    p = w.truth.iloc[c]
    L = int(p.max_lag)
    lags = range(L + 1)
    if p.adstock == "geometric":
        raw = [p.alpha ** lag for lag in lags]
    else:
        raw = [p.alpha ** ((lag - p.theta) ** 2) for lag in lags]
    weights = [r / sum(raw) for r in raw]
    T = len(w.weeks)
    total = 0.0
    for t in range(T + L + 5):   # weeks after T + L add nothing
        ad_on = 0.0   # with c zeroed its adstock is 0 and hill(0) = 0: the difference is c's own term
        for lag in lags:
            if 0 <= t - lag < T:
                ad_on += weights[lag] * w.spend[t - lag, c] * mult
        if ad_on > 0:
            total += p.beta * ad_on ** p.slope / (ad_on ** p.slope + p.half_sat ** p.slope)
    return total


@pytest.mark.parametrize("seed", [7000, 7002, 7011])
def test_truth_matches_an_independent_loop(seed):
    w = draw_world(seed)
    for c in range(len(w.channels)):
        t = w.truth.iloc[c]
        assert _incremental_by_loop(w, c) == pytest.approx(t.incremental_revenue_usd, rel=1e-9)
        assert t.true_roi == pytest.approx(_incremental_by_loop(w, c) / w.spend[:, c].sum(), rel=1e-9)
        up = _incremental_by_loop(w, c, 1.01)
        mroi = (up - _incremental_by_loop(w, c)) / (0.01 * w.spend[:, c].sum())
        assert t.true_marginal_roi == pytest.approx(mroi, rel=1e-6)


def test_revenue_is_baseline_plus_media_plus_noise(worlds):
    for w in worlds:
        np.testing.assert_allclose(w.baseline + w.media.sum(axis=1) + w.noise, w.revenue, rtol=1e-12, atol=0)
        assert (w.baseline > 0).all() and (w.revenue > 0).all()


def test_written_world_reads_through_the_byod_path(tmp_path):
    w = draw_world(7001)
    folder = write_world(w, tmp_path / "w")
    text = (folder / "world.yml").read_text()
    assert "model" not in text and "candidates" not in text and "bootstrap" not in text
    cfg = load_config(folder / "world.yml")
    data = panel_from_frame(frame_from_csv(cfg["data"]), cfg["data"])
    assert data.channels == w.channels
    assert data.n_weeks == len(w.weeks)
    np.testing.assert_allclose(data.y[0], w.revenue, rtol=1e-12)
    np.testing.assert_allclose(data.spend[0], w.spend, rtol=1e-12)
    assert data.control_names[0] == "price_index" and len(data.control_names) == 1 + w.events.shape[1]
    truth = pd.read_csv(folder / "truth.csv")
    assert list(truth.channel_id) == w.channels
    for col in ["spend_usd", "spend_share", "incremental_revenue_usd", "true_roi", "true_marginal_roi",
                "adstock", "alpha", "max_lag", "half_sat", "slope", "beta"]:
        assert col in truth.columns
    assert (folder / "meta.json").exists()
