"""The sample world: determinism, shape, truth consistency, identifiability, journeys."""
from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest

from media_impact.world.journeys import generate_journeys
from media_impact.world.simulate import build_world

from pathlib import Path

COMMITTED_SEEDS = Path(__file__).resolve().parents[3] / "seeds"


def _csvs(folder):
    return sorted(p.relative_to(folder) for p in folder.glob("*/*.csv"))


def test_generation_is_deterministic_and_matches_committed_seeds(generated):
    """Same seed -> byte-identical CSVs; the committed sample is what the generator makes."""
    assert _csvs(generated) == _csvs(COMMITTED_SEEDS)
    mismatched = [str(p) for p in _csvs(generated) if not filecmp.cmp(generated / p, COMMITTED_SEEDS / p, shallow=False)]
    assert mismatched == [], "regenerate with `python -m media_impact.world --out seeds`"


def test_other_seed_gives_other_world(world):
    other = build_world(scale=1, seed=1)
    assert not np.allclose(other.spend, world.spend)


def test_shape(world):
    assert len(world.weeks) == 156
    assert world.weeks[0] == pd.Timestamp("2023-01-02") and world.weeks[0].weekday() == 0
    assert (world.markets.country_id == "us").sum() >= 10
    assert set(world.markets.country_id) == {"us", "ca"}
    launch = pd.to_datetime(world.products.launch_date)
    in_window = (launch >= world.weeks[0]) & (launch <= world.weeks[-1])
    assert in_window.sum() == 1
    assert len(world.retailers) == 3 and 4 <= len(world.products) <= 6


def test_launch_campaign_is_35m_over_12_weeks(world):
    weekly = world.spend_launch.sum(axis=(1, 2))
    active = np.flatnonzero(weekly > 0)
    assert len(active) == 12 and world.weeks[active[0]] == pd.Timestamp("2024-09-02")
    assert weekly.sum() == pytest.approx(35e6, rel=0.01)


def test_scale_multiplies_markets():
    bigger = build_world(scale=2, seed=20261122)
    assert len(bigger.markets) == 30
    assert bigger.markets.market_id.is_unique


def _independent_incremental(world, channel_id, country_id):
    """Incremental revenue recomputed without the simulator's effect helpers."""
    ch = world.channels.set_index("channel_id").loc[channel_id]
    k = world.channel_index(channel_id)
    mask = world.country_mask(country_id)
    spend = world.spend[:, mask, k]
    pop = world.population_k[mask]
    lags = int(world.spec["media"]["adstock_max_lag_weeks"])
    weights = np.array([ch.adstock_decay**l for l in range(lags + 1)])
    weights /= weights.sum()
    total = 0.0
    for t in range(spend.shape[0]):
        ad = sum(weights[l] * spend[t - l] for l in range(lags + 1) if t - l >= 0)
        z = ad / pop
        total += np.sum(pop * world.effect_max[mask, k] * z**ch.slope / (z**ch.slope + ch.half_sat**ch.slope))
    return total


@pytest.mark.parametrize("channel_id,country_id", [("ctv", "us"), ("meta_retargeting", "ca"), ("retail_media_walmart", "us")])
def test_truth_table_matches_independent_recomputation(world, generated, channel_id, country_id):
    truth = pd.read_csv(generated / "truth" / "truth_channel_effects.csv").set_index(["country_id", "channel_id"])
    row = truth.loc[(country_id, channel_id)]
    assert _independent_incremental(world, channel_id, country_id) == pytest.approx(row.true_incremental_revenue_usd, rel=1e-6)
    assert row.true_roi == pytest.approx(row.true_incremental_revenue_usd / row.spend_usd, rel=1e-5)


def test_counterfactual_equals_weekly_contributions(generated):
    truth = pd.read_csv(generated / "truth" / "truth_channel_effects.csv")
    weekly = pd.read_csv(generated / "truth" / "truth_weekly_contribution.csv")
    summed = weekly.groupby(["country_id", "channel_id"]).contribution_usd.sum()
    merged = truth.set_index(["country_id", "channel_id"]).true_incremental_revenue_usd
    assert np.allclose(summed.loc[merged.index], merged, rtol=1e-6, atol=1.0)


def test_rois_plausible_and_ordered(generated):
    truth = pd.read_csv(generated / "truth" / "truth_channel_effects.csv").set_index(["country_id", "channel_id"])
    assert truth.true_roi.between(0.3, 6).all()
    for country_id in ("us", "ca"):
        roi = truth.loc[country_id].true_roi
        assert min(roi["ctv"], roi["youtube"]) > 2 * roi["meta_retargeting"]
    # diminishing returns: the next dollar returns less than the average dollar
    assert (truth.true_marginal_roi < truth.true_roi).all()


def test_media_share_of_revenue(generated):
    revenue = pd.read_csv(generated / "truth" / "truth_weekly_revenue.csv")
    share = revenue.media_revenue_usd.sum() / revenue.expected_revenue_usd.sum()
    assert 0.15 <= share <= 0.30


def test_spend_varies_independently_across_channels(world):
    """Identifiability: national weekly spend of always-on channels is not collinear."""
    us = world.country_mask("us")
    national = world.spend_always_on[:, us, :].sum(axis=1)
    corr = np.corrcoef(national.T)
    off_diagonal = corr[~np.eye(len(corr), dtype=bool)]
    assert np.nanmax(np.abs(off_diagonal)) < 0.6
    # and markets differ within a channel (market-level flighting)
    k = world.channel_index("ctv")
    shares = world.spend_always_on[:, us, k] / world.spend_always_on[:, us, k].sum(axis=1, keepdims=True).clip(1e-9)
    assert shares[world.spend_always_on[:, us, k].sum(axis=1) > 0].std(axis=0).mean() > 0.01


def test_geo_holdout_in_feeds_and_truth(world, generated):
    design = pd.read_csv(generated / "raw" / "raw_experiments__geo_test_design.csv")
    truth = pd.read_csv(generated / "truth" / "truth_geo_experiment.csv").iloc[0]
    ctv = pd.read_csv(generated / "raw" / "raw_ctv_dsp__delivery.csv", dtype=str)
    weeks = pd.to_datetime(ctv["Week"], format="%m/%d/%Y")
    in_test = (weeks >= truth.test_start_date) & (weeks <= truth.test_end_date)
    test_metros = {"506", "753", "524", "819"}  # Boston, Phoenix, Atlanta, Seattle
    assert not (in_test & ctv["Metro"].isin(test_metros) & ctv["Campaign"].str.contains("_US_")).any()
    assert (in_test & ~ctv["Metro"].isin(test_metros)).any()
    assert -design.planned_spend_change.sum() == pytest.approx(truth.withheld_spend_usd, abs=1.0)
    assert truth.true_incremental_revenue_usd > 0 and 0 < truth.true_lift_pct < 20
    assert truth.true_iroas_with_carryover > truth.true_iroas


def test_geo_test_markets_follow_the_national_plan_while_the_test_is_read(world):
    """hold_media_steady: from steady_lead_weeks before the pre-period to the test's end, each
    channel's spend in the test and control markets is the national level times a fixed market
    weight (no local flighting), so test and control move in parallel; CTV in the test markets
    during the test is the holdout itself and is excluded."""
    geo = world.spec["geo_experiment"]
    start = pd.Timestamp(geo["pre_start"]) - pd.Timedelta(weeks=geo["steady_lead_weeks"])
    test_start = pd.Timestamp(geo["test_start"])
    end = test_start + pd.Timedelta(weeks=geo["test_weeks"])
    rows = (world.weeks >= start) & (world.weeks < end)
    in_test = (world.weeks >= test_start) & (world.weeks < end)
    markets = world.markets.market_id.tolist()
    test = [markets.index(m) for m in geo["test_markets"]]
    control = [markets.index(m) for m in geo["control_markets"]]
    for k, ch in enumerate(world.channels.itertuples()):
        spend = world.spend_always_on[:, :, k]
        cols = control if ch.channel_id == geo["channel_id"] else test + control
        live = rows & (spend[:, cols].sum(axis=1) > 0)
        weights = spend[np.ix_(live, cols)] / spend[np.ix_(live, cols)].sum(axis=1, keepdims=True)
        # rounding only (cents; coupons are whole redemptions): a market's weight is the same every week
        assert np.ptp(weights, axis=0).max() < 1e-3, ch.channel_id
        # outside the window the same markets flight on their own
        outside = ~rows & (spend[:, cols].sum(axis=1) > 0)
        w_out = spend[np.ix_(outside, cols)] / spend[np.ix_(outside, cols)].sum(axis=1, keepdims=True)
        assert np.ptp(w_out, axis=0).max() > 0.05, ch.channel_id
    assert (world.spend_always_on[np.ix_(in_test, test, [world.channel_index(geo["channel_id"])])] == 0).all()


def test_pos_feeds_carry_restatements(generated):
    amazon = pd.read_csv(generated / "raw" / "raw_amazon__vendor_sales.csv", dtype=str)
    dup = amazon[amazon.duplicated(["date", "ship_to_region", "asin"], keep=False)]
    assert len(dup) > 0
    assert dup.groupby(["date", "ship_to_region", "asin"]).load_ts.nunique().min() == 2


def test_journeys_last_touch_bias(generated):
    credit = pd.read_csv(generated / "truth" / "truth_journey_channel_credit.csv").set_index("channel_id")
    assert credit.loc["meta_retargeting", "last_touch_credit_share"] > 3 * credit.loc["meta_retargeting", "true_credit_share"]
    for channel_id in ("ctv", "youtube"):
        assert credit.loc[channel_id, "last_touch_credit_share"] < 0.5 * credit.loc[channel_id, "true_credit_share"]


def test_generate_journeys_is_deterministic_and_ordered():
    a = generate_journeys(3000, 7)
    b = generate_journeys(3000, 7)
    pd.testing.assert_frame_equal(a.touchpoints, b.touchpoints)
    tp = a.touchpoints
    # conversions come after every touch of the same user
    last_touch = tp.groupby("user_id_hash", observed=True).event_ts.max()
    conv = a.conversions.set_index("user_id_hash").conversion_ts
    assert (conv > last_touch.reindex(conv.index).fillna(pd.Timestamp.min)).all()


def test_sources_declare_every_raw_feed():
    """raw_mode: source needs a source table for every raw seed the generator writes."""
    import yaml

    sources = yaml.safe_load((COMMITTED_SEEDS.parent / "models" / "staging" / "_sources.yml").read_text())
    tables = {t["name"] for s in sources["sources"] if s["name"] == "raw" for t in s["tables"]}
    assert tables == {p.stem for p in (COMMITTED_SEEDS / "raw").glob("*.csv")}
