"""Analyse designed geo tests from a long panel: the functions the dbt Python models call.

Input panel (one row per experiment, market and period), as built by the
``fct_geo_experiment_panel`` mart: ``experiment_id``, ``market_id``,
``country_id``, ``channel_id``, ``assignment`` ('test'/'control'), ``week_start``,
``period`` ('history', 'pre' or 'test'), ``revenue_usd``,
``market_spend_change_usd`` (the market's planned spend change over the test),
``test_start_date``, ``test_end_date``.

Sign convention: ``incremental_revenue_usd`` is the revenue change caused by the
spend change, observed minus counterfactual, so a holdout (negative spend change)
has negative incremental revenue and a positive iROAS = incremental revenue /
spend change. ``lift`` is the channel's revenue relative to revenue without it:
``D / counterfactual`` for a spend increase and ``-D / observed`` for a holdout
(where the observed revenue is the revenue without the withheld spend).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from media_impact.geo.power import minimum_detectable_effect
from media_impact.geo.synthetic_control import synthetic_control
from media_impact.geo.tbr import tbr_panel

RESULT_COLUMNS = [
    "experiment_id", "method", "country_id", "channel_id", "test_start_date", "test_end_date",
    "test_markets", "control_markets", "pre_periods", "test_periods",
    "observed_revenue_usd", "counterfactual_revenue_usd", "incremental_revenue_usd",
    "incremental_revenue_se_usd", "incremental_revenue_lower_usd", "incremental_revenue_upper_usd",
    "lift", "lift_lower", "lift_upper", "spend_change_usd", "iroas", "iroas_lower", "iroas_upper",
    "p_value", "interval_level",
]


def _lift(effect: float, observed: float, counterfactual: float, spend_change: float) -> float:
    if spend_change < 0:
        return -effect / observed
    return effect / counterfactual


def _design(frame: pd.DataFrame) -> dict:
    first = frame.iloc[0]
    test_markets = sorted(frame.loc[frame["assignment"] == "test", "market_id"].unique())
    control_markets = sorted(frame.loc[frame["assignment"] == "control", "market_id"].unique())
    spend_change = float(
        frame.loc[frame["assignment"] == "test"].groupby("market_id")["market_spend_change_usd"].first().sum()
    )
    return {
        "experiment_id": first["experiment_id"],
        "country_id": first["country_id"],
        "channel_id": first["channel_id"],
        "test_start_date": pd.Timestamp(first["test_start_date"]),
        "test_end_date": pd.Timestamp(first["test_end_date"]),
        "test_markets": test_markets,
        "control_markets": control_markets,
        "spend_change_usd": spend_change,
    }


def _result_row(base: dict, **values) -> dict:
    """One output row: lift and iROAS derived from the effect; absent figures are NaN."""
    row = dict.fromkeys(RESULT_COLUMNS, np.nan)
    row.update(base)
    row.update(values)
    effect, spend_change = row["incremental_revenue_usd"], row["spend_change_usd"]
    row["lift"] = _lift(effect, row["observed_revenue_usd"], row["counterfactual_revenue_usd"], spend_change)
    row["iroas"] = effect / spend_change if spend_change else np.nan
    return row


def analyse_experiment(frame: pd.DataFrame, level: float = 0.9) -> list[dict]:
    """TBR (two-sided ``level`` interval) and synthetic control for one experiment's panel."""
    d = _design(frame)
    if not d["test_markets"] or not d["control_markets"]:
        raise ValueError(f"{d['experiment_id']}: needs test and control markets")
    frame = frame.assign(week_start=pd.to_datetime(frame["week_start"]))
    analysed = frame.loc[frame["period"].isin(["pre", "test"])]
    pre = analysed.loc[analysed["period"] == "pre", "week_start"]
    test = analysed.loc[analysed["period"] == "test", "week_start"]
    pre_period, test_period = (pre.min(), pre.max()), (test.min(), test.max())
    spend_change = d["spend_change_usd"]
    base = {k: d[k] for k in ("experiment_id", "country_id", "channel_id", "test_start_date", "test_end_date")}
    base.update(
        test_markets=";".join(d["test_markets"]),
        control_markets=";".join(d["control_markets"]),
        spend_change_usd=spend_change,
        interval_level=level,
    )
    kw = dict(market_col="market_id", time_col="week_start", value_col="revenue_usd")

    tbr = tbr_panel(
        analysed, d["test_markets"], pre_period, test_period, spend_change,
        control_markets=d["control_markets"], level=level, tails=2, **kw,
    )
    lifts = sorted(
        _lift(x, tbr.observed_response, tbr.observed_response - x, spend_change)
        for x in (tbr.incremental_response_lower, tbr.incremental_response_upper)
    )
    iroas_bounds = sorted([tbr.incremental_response_lower / spend_change, tbr.incremental_response_upper / spend_change])
    rows = [
        _result_row(
            base,
            method="tbr",
            pre_periods=tbr.pre_periods,
            test_periods=tbr.test_periods,
            observed_revenue_usd=tbr.observed_response,
            counterfactual_revenue_usd=tbr.counterfactual_response,
            incremental_revenue_usd=tbr.incremental_response,
            incremental_revenue_se_usd=tbr.incremental_response_se,
            incremental_revenue_lower_usd=tbr.incremental_response_lower,
            incremental_revenue_upper_usd=tbr.incremental_response_upper,
            lift_lower=lifts[0],
            lift_upper=lifts[1],
            iroas_lower=iroas_bounds[0],
            iroas_upper=iroas_bounds[1],
        )
    ]
    panel_sc = analysed.loc[analysed["market_id"].isin(d["test_markets"] + d["control_markets"])]
    sc = synthetic_control(
        panel_sc, d["test_markets"], pre_period, test_period, donor_markets=d["control_markets"], **kw
    )
    rows.append(
        _result_row(
            base,
            method="synthetic_control",
            pre_periods=int(pre.nunique()),
            test_periods=sc.test_periods,
            observed_revenue_usd=sc.observed_total,
            counterfactual_revenue_usd=sc.counterfactual_total,
            incremental_revenue_usd=sc.incremental,
            p_value=sc.p_value,
        )
    )
    return rows


def experiment_results(panel: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """One row per experiment and method (``tbr``, ``synthetic_control``)."""
    rows: list[dict] = []
    for _, frame in panel.groupby("experiment_id", sort=True):
        rows.extend(analyse_experiment(frame, level=level))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def experiment_calibration(results: pd.DataFrame) -> pd.DataFrame:
    """The MMM calibration rows: TBR estimates (they carry a standard error), one per experiment."""
    tbr = results.loc[results["method"] == "tbr"]
    return tbr[
        [
            "experiment_id", "country_id", "channel_id", "test_start_date", "test_end_date",
            "incremental_revenue_usd", "incremental_revenue_se_usd", "spend_change_usd",
        ]
    ].reset_index(drop=True)


def experiment_power(
    panel: pd.DataFrame, durations: list[int], alpha: float = 0.1, power: float = 0.8
) -> pd.DataFrame:
    """MDE per experiment and candidate duration from the weeks before the test (history + pre)."""
    out = []
    for experiment_id, frame in panel.groupby("experiment_id", sort=True):
        d = _design(frame)
        before = frame.loc[frame["period"].isin(["history", "pre"])].assign(
            week_start=lambda f: pd.to_datetime(f["week_start"])
        )
        mde = minimum_detectable_effect(
            before, d["test_markets"], durations, control_markets=d["control_markets"], alpha=alpha,
            power=power, market_col="market_id", time_col="week_start", value_col="revenue_usd",
        )
        mde.insert(0, "experiment_id", experiment_id)
        mde.insert(1, "channel_id", d["channel_id"])
        mde["alpha"] = alpha
        mde["power"] = power
        # spend change needed to reach the MDE at the measured iROAS is left to the reader:
        # it needs an iROAS, which is what the test measures
        out.append(mde)
    return pd.concat(out, ignore_index=True)
