"""The functions behind the experiments dbt models, on a generated holdout test."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from media_impact.geo.experiments import experiment_calibration, experiment_power, experiment_results

from .conftest import generate_geo_panel

TREATED = ("m00", "m01", "m02")


def _holdout_panel(lift: float, seed: int = 9) -> tuple[pd.DataFrame, float]:
    """Weekly-shaped panel in the mart's columns: the channel is withheld in the test markets,
    so their revenue drops by `lift` of what it would have been."""
    panel, truth = generate_geo_panel(n_days=120, test_start=90, treated=TREATED, lift=-lift, seed=seed, loading_spread=0.0)
    days = panel["date_day"]
    panel = panel.rename(columns={"date_day": "week_start", "y": "revenue_usd"})
    panel["experiment_id"] = "exp_1"
    panel["country_id"] = "us"
    panel["channel_id"] = "ctv"
    panel["assignment"] = np.where(panel["market_id"].isin(TREATED), "test", "control")
    panel["period"] = np.select(
        [days >= pd.Timestamp("2025-04-01"), days >= pd.Timestamp("2025-02-01")], ["test", "pre"], "history"
    )
    panel["market_spend_change_usd"] = np.where(panel["market_id"].isin(TREATED), -10_000.0, 0.0)
    panel["test_start_date"] = pd.Timestamp("2025-04-01")
    panel["test_end_date"] = days.max()
    return panel, truth  # truth is negative: revenue lost


def test_holdout_signs_lift_and_iroas():
    panel, truth = _holdout_panel(lift=0.05)
    results = experiment_results(panel).set_index("method")
    tbr = results.loc["tbr"]
    assert tbr["spend_change_usd"] == pytest.approx(-30_000.0)
    assert tbr["incremental_revenue_usd"] < 0  # revenue moves with the withheld spend
    assert tbr["incremental_revenue_usd"] == pytest.approx(truth, rel=0.25)
    assert tbr["iroas"] == pytest.approx(tbr["incremental_revenue_usd"] / -30_000.0)
    assert tbr["iroas"] > 0
    # lift of the channel relative to revenue without it (the observed, held-out revenue)
    assert tbr["lift"] == pytest.approx(-tbr["incremental_revenue_usd"] / tbr["observed_revenue_usd"])
    assert tbr["lift"] == pytest.approx(0.05, abs=0.015)
    assert tbr["lift_lower"] <= tbr["lift"] <= tbr["lift_upper"]
    assert tbr["iroas_lower"] <= tbr["iroas"] <= tbr["iroas_upper"]
    # pre-period only: history weeks are not in the fit
    assert tbr["pre_periods"] == 59
    sc = results.loc["synthetic_control"]
    assert sc["incremental_revenue_usd"] < 0 and 0 <= sc["p_value"] <= 1


def test_calibration_rows_are_the_tbr_estimates():
    panel, _ = _holdout_panel(lift=0.05)
    results = experiment_results(panel)
    calibration = experiment_calibration(results)
    assert list(calibration.columns) == [
        "experiment_id", "country_id", "channel_id", "test_start_date", "test_end_date",
        "incremental_revenue_usd", "incremental_revenue_se_usd", "spend_change_usd",
    ]
    tbr = results.loc[results["method"] == "tbr"].iloc[0]
    assert calibration.iloc[0]["incremental_revenue_se_usd"] == pytest.approx(tbr["incremental_revenue_se_usd"])


def test_power_uses_the_weeks_before_the_test():
    panel, _ = _holdout_panel(lift=0.05)
    power = experiment_power(panel, [7, 14])
    assert list(power["duration_periods"]) == [7, 14]
    assert (power["pre_periods"] == 90 - power["duration_periods"]).all()
    assert (power["mde_lift"] > 0).all()
