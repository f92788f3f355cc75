"""How the dashboard writes numbers and column names."""
from __future__ import annotations

import math

from media_impact import dashboard_format as fmt


def test_column_kinds_follow_the_naming_rules():
    kinds = {c: fmt.column_kind(c) for c in (
        "run_id", "settings_json", "spend_usd", "incremental_revenue_lower_90_usd", "half_sat_usd_per_week",
        "roi", "marginal_roi_upper_90", "experiment_iroas", "platform_reported_roas", "r2_train", "nrmse_oos",
        "spend_share", "mape_oos", "p50_growth_vs_last_year", "units_p50", "n_weeks", "channel_id", "verdict")}
    assert kinds == {
        "run_id": "hidden", "settings_json": "hidden", "spend_usd": "money",
        "incremental_revenue_lower_90_usd": "money", "half_sat_usd_per_week": "money",
        "roi": "ratio", "marginal_roi_upper_90": "ratio", "experiment_iroas": "ratio",
        "platform_reported_roas": "ratio", "r2_train": "fit_metric", "nrmse_oos": "fit_metric",
        "spend_share": "percent", "mape_oos": "percent", "p50_growth_vs_last_year": "percent",
        "units_p50": "count", "n_weeks": "count", "channel_id": "other", "verdict": "other"}
    assert fmt.visible_columns(["run_id", "channel_id", "roi", "country_id"]) == ["channel_id", "roi"]


def test_labels_read_as_words():
    assert fmt.column_label("spend_usd") == "Spend ($)"
    assert fmt.column_label("roi_lower_90") == "ROI, 90% low"
    assert fmt.column_label("incremental_revenue_upper_90_usd") == "Incremental revenue, 90% high ($)"
    assert fmt.column_label("channel_id") == "Channel"
    assert fmt.column_label("mape_oos") == "MAPE out-of-sample"
    assert fmt.column_label("half_sat_usd_per_week") == "Half sat ($/week)"


def test_numbers_are_written_for_a_reader():
    assert fmt.money(194_420_000) == "$194.42M"
    assert fmt.money(-1_640_000) == "-$1.64M"
    assert fmt.money(12_345) == "$12.35k"
    assert fmt.money(950) == "$950"
    assert fmt.money(float("nan")) == "n/a"
    assert fmt.ratio(2.1449) == "2.14"
    assert fmt.percent(0.126) == "12.6%"
    assert fmt.interval(0.32, 0.52) == "90%: 0.32 – 0.52"
    assert fmt.interval(1e6, 2.5e6, fmt.money) == "90%: $1.00M – $2.50M"
    assert fmt.interval(math.nan, 1.0) == "" and fmt.interval(None, 1.0) == ""
