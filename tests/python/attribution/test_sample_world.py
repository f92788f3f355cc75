"""Attribution and experiments on the built sample world, against the generator's truth."""
from __future__ import annotations

import pandas as pd
import pytest


def test_last_touch_reproduces_the_generators_last_touch(built_con):
    """Journeys are built right: with lookback 30 days every generated journey fits, and
    last-touch credit per channel equals the generator's own count and value."""
    got = built_con.execute(
        """
        select truth.channel_id, credit.credited_conversions, truth.last_touch_conversions,
               credit.credited_value_usd, truth.last_touch_value_usd
        from truth.truth_journey_channel_credit as truth
        left join marts.fct_attribution_heuristic_credit as credit
            on credit.channel_id = truth.channel_id and credit.attribution_model = 'last_touch'
        """
    ).df()
    assert (got["credited_conversions"] - got["last_touch_conversions"]).abs().max() < 1e-9
    assert (got["credited_value_usd"] - got["last_touch_value_usd"]).abs().max() < 0.01


def test_markov_is_closer_to_the_true_credit_than_last_touch(built_con):
    shares = built_con.execute(
        """
        select truth.channel_id, truth.true_credit_share, truth.last_touch_credit_share, markov.credit_share as markov
        from truth.truth_journey_channel_credit as truth
        inner join attribution.attribution_markov_credit as markov using (channel_id)
        """
    ).df()
    markov_error = (shares["markov"] - shares["true_credit_share"]).abs().sum()
    last_touch_error = (shares["last_touch_credit_share"] - shares["true_credit_share"]).abs().sum()
    assert markov_error < 0.6 * last_touch_error
    # the upper funnel (largest true credit) gains credit over last touch
    top = shares.sort_values("true_credit_share").iloc[-1]
    assert top["markov"] > top["last_touch_credit_share"]


def _tbr_against_truth(built_con) -> pd.Series:
    return built_con.execute(
        """
        select results.*, truth.true_lift_pct, truth.true_iroas, truth.true_incremental_revenue_usd
        from experiments.experiment_results as results
        inner join truth.truth_geo_experiment as truth using (experiment_id)
        where results.method = 'tbr'
        """
    ).df().iloc[0]


def test_geo_experiment_estimate_is_within_three_standard_errors_of_truth(built_con):
    """TBR on the designed test has the true sign and lands within 3 SE of the true effect.
    truth is the gain from restoring the withheld spend, so it carries the spend's sign."""
    row = _tbr_against_truth(built_con)
    true_effect = row["true_incremental_revenue_usd"] * (1 if row["spend_change_usd"] > 0 else -1)
    assert row["incremental_revenue_usd"] * row["spend_change_usd"] > 0
    assert abs(row["incremental_revenue_usd"] - true_effect) <= 3 * row["incremental_revenue_se_usd"]


def test_geo_experiment_interval_covers_true_lift(built_con):
    """The 90% lift and iROAS intervals cover the truth (truth_geo_experiment)."""
    row = _tbr_against_truth(built_con)
    assert row["lift_lower"] <= row["true_lift_pct"] / 100 <= row["lift_upper"]
    assert row["iroas_lower"] <= row["true_iroas"] <= row["iroas_upper"]


def test_calibration_table_matches_the_tbr_estimate(built_con):
    calibration = built_con.execute("select * from experiments.experiment_calibration").df()
    results = built_con.execute("select * from experiments.experiment_results where method = 'tbr'").df()
    merged = calibration.merge(results, on="experiment_id", suffixes=("", "_tbr"))
    assert len(merged) == len(results) > 0
    pd.testing.assert_series_equal(
        merged["incremental_revenue_usd"], merged["incremental_revenue_usd_tbr"], check_names=False
    )
    assert (merged["incremental_revenue_se_usd"] > 0).all()


def test_channel_lenses_flags_the_funnel_the_way_the_truth_does(built_con):
    lenses = built_con.execute("select * from marts.channel_lenses").df().set_index("channel_id")
    truth = built_con.execute("select * from truth.truth_journey_channel_credit").df().set_index("channel_id")
    assert set(truth.index) <= set(lenses.index)
    # last touch over-credits retargeting and under-credits CTV in the world's design
    assert lenses.loc["meta_retargeting", "last_touch_credit_flag"] == "over_credited"
    assert lenses.loc["ctv", "last_touch_credit_flag"] == "under_credited"
    assert lenses.loc["ctv", "experiment_iroas"] > 0
