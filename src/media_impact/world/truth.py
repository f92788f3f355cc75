"""Ground-truth tables, computed by counterfactual simulation of the world.

Definitions (all over the 156-week window, carryover counted inside the window):

* ``true_incremental_revenue_usd`` of (country, channel) = sum over the country's
  market-weeks of revenue(actual spend) - revenue(channel's spend in that country set
  to 0 for the whole window). Adstock starts from zero before the window and
  carryover past its end is not counted.
* ``true_roi`` = true_incremental_revenue_usd / spend_usd (revenue per USD, not profit).
* ``true_marginal_roi`` = [revenue(spend x 1.01) - revenue(spend)] / (0.01 x spend),
  the return of one more dollar spread like the actual spend.
* weekly contribution = the channel's effect in that week (equal to the weekly
  counterfactual difference, because channel effects are additive).
* geo experiment: ``true_incremental_revenue_usd`` = revenue with the planned ctv
  spend restored in the test markets - actual revenue, test markets, test weeks;
  ``true_lift_pct`` = 100 x that / actual revenue of the test markets in the test
  weeks; ``true_iroas`` = that / withheld spend. The ``_with_carryover`` variants
  add the 8 weeks after the test.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .simulate import World


def channel_effects_table(world: World) -> pd.DataFrame:
    rows = []
    actual = world.expected_revenue()
    max_lag = int(world.spec["media"]["adstock_max_lag_weeks"])
    for country_id in world.spec["countries"]:
        mask = world.country_mask(country_id)
        total_revenue = actual[:, mask].sum()
        for k, ch in enumerate(world.channels.itertuples()):
            if country_id not in ch.countries:
                continue
            spend = world.spend[:, mask, k].sum()
            without = world.revenue_without(ch.channel_id, country_id)
            incremental = (actual - without)[:, mask].sum()
            bumped = world.spend.copy()
            bumped[:, mask, k] *= 1.01
            marginal = (world.expected_revenue(bumped) - actual)[:, mask].sum() / (0.01 * spend)
            rows.append(
                dict(
                    country_id=country_id,
                    channel_id=ch.channel_id,
                    spend_usd=round(spend, 2),
                    launch_spend_usd=round(world.spend_launch[:, mask, k].sum(), 2),
                    true_incremental_revenue_usd=round(incremental, 2),
                    true_roi=round(incremental / spend, 6),
                    true_marginal_roi=round(marginal, 6),
                    true_revenue_share=round(incremental / total_revenue, 6),
                    adstock_type="geometric",
                    adstock_param=ch.adstock_decay,
                    adstock_max_lag_weeks=max_lag,
                    adstock_normalized="true",
                    saturation_type="hill",
                    saturation_half_sat=ch.half_sat,
                    saturation_slope=ch.slope,
                    saturation_input="adstocked spend per 1,000 population, USD per week",
                    effect_max_usd_per_1k_pop_week=round(float(world.effect_max[mask, k][0]), 6),
                )
            )
    return pd.DataFrame(rows)


def weekly_contribution_table(world: World) -> pd.DataFrame:
    effects = world.channel_effects()
    frames = []
    for country_id in world.spec["countries"]:
        mask = world.country_mask(country_id)
        for k, ch in enumerate(world.channels.itertuples()):
            if country_id not in ch.countries:
                continue
            frames.append(
                pd.DataFrame(
                    {
                        "week_start": world.weeks.strftime("%Y-%m-%d"),
                        "country_id": country_id,
                        "channel_id": ch.channel_id,
                        "spend_usd": np.round(world.spend[:, mask, k].sum(axis=1), 2),
                        "contribution_usd": np.round(effects[:, mask, k].sum(axis=1), 2),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def weekly_revenue_table(world: World) -> pd.DataFrame:
    media = world.channel_effects().sum(axis=2)
    n_w, n_m = media.shape
    return pd.DataFrame(
        {
            "week_start": np.repeat(world.weeks.strftime("%Y-%m-%d"), n_m),
            "market_id": np.tile(world.markets.market_id.to_numpy(), n_w),
            "country_id": np.tile(world.markets.country_id.to_numpy(), n_w),
            "baseline_revenue_usd": np.round(world.baseline.ravel(), 2),
            "media_revenue_usd": np.round(media.ravel(), 2),
            "expected_revenue_usd": np.round((world.baseline + media).ravel(), 2),
        }
    )


def geo_experiment_table(world: World) -> pd.DataFrame:
    geo = world.spec["geo_experiment"]
    k = world.channel_index(geo["channel_id"])
    planned = world.spend.copy()
    planned[:, :, k] += world.geo_withheld
    gain = world.expected_revenue(planned) - world.expected_revenue()
    actual = world.expected_revenue()
    test = world.markets.market_id.isin(geo["test_markets"]).to_numpy()
    start = pd.Timestamp(geo["test_start"])
    in_test = (world.weeks >= start) & (world.weeks < start + pd.Timedelta(weeks=geo["test_weeks"]))
    max_lag = int(world.spec["media"]["adstock_max_lag_weeks"])
    with_tail = (world.weeks >= start) & (world.weeks < start + pd.Timedelta(weeks=geo["test_weeks"] + max_lag))
    incremental = gain[np.ix_(in_test, test)].sum()
    incremental_tail = gain[np.ix_(with_tail, test)].sum()
    withheld = world.geo_withheld.sum()
    return pd.DataFrame(
        [
            dict(
                experiment_id=geo["experiment_id"],
                channel_id=geo["channel_id"],
                test_market_ids=";".join(geo["test_markets"]),
                control_market_ids=";".join(geo["control_markets"]),
                test_start_date=start.strftime("%Y-%m-%d"),
                test_end_date=(start + pd.Timedelta(weeks=geo["test_weeks"]) - pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                withheld_spend_usd=round(withheld, 2),
                test_markets_revenue_usd=round(actual[np.ix_(in_test, test)].sum(), 2),
                true_incremental_revenue_usd=round(incremental, 2),
                true_lift_pct=round(100.0 * incremental / actual[np.ix_(in_test, test)].sum(), 6),
                true_iroas=round(incremental / withheld, 6),
                true_incremental_revenue_with_carryover_usd=round(incremental_tail, 2),
                true_iroas_with_carryover=round(incremental_tail / withheld, 6),
            )
        ]
    )


def truth_tables(world: World, journey_credit: pd.DataFrame) -> dict[str, pd.DataFrame]:
    credit = journey_credit.copy()
    for col in ("true_incremental_conversions", "true_incremental_value_usd", "last_touch_value_usd", "true_credit_share", "last_touch_credit_share"):
        credit[col] = credit[col].round(6)
    return {
        "truth_channel_effects": channel_effects_table(world),
        "truth_weekly_contribution": weekly_contribution_table(world),
        "truth_weekly_revenue": weekly_revenue_table(world),
        "truth_geo_experiment": geo_experiment_table(world),
        "truth_journey_channel_credit": credit,
    }
