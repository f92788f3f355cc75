"""The dashboard's optimiser and data helpers, checked against hand computations."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from media_impact import dashboard_data as dd


def _curve(fn, hi, n=401):
    s = np.linspace(0, hi, n)
    return dd.Curve(s, fn(s))


def test_linear_segments_fill_highest_marginal_return_first():
    # a: returns 3 per $ up to 100, then 1 per $ up to 200; b: 2 per $ up to 200
    curves = {
        "a": dd.Curve(np.array([0.0, 100.0, 200.0]), np.array([0.0, 300.0, 400.0])),
        "b": dd.Curve(np.array([0.0, 200.0]), np.array([0.0, 400.0])),
    }
    out = dd.optimise_budget(curves, 250.0).set_index("channel_id")
    # by hand: a's first 100 (slope 3), then b's 150 (slope 2); revenue 300 + 300
    assert out.loc["a", "spend_usd"] == pytest.approx(100.0)
    assert out.loc["b", "spend_usd"] == pytest.approx(150.0)
    assert out["incremental_revenue_usd"].sum() == pytest.approx(600.0)
    assert out.loc["b", "marginal_roi"] == pytest.approx(2.0)
    assert out["spend_usd"].sum() == pytest.approx(250.0)


def test_bounds_are_respected_and_reported():
    curves = {
        "a": dd.Curve(np.array([0.0, 100.0, 200.0]), np.array([0.0, 300.0, 400.0])),
        "b": dd.Curve(np.array([0.0, 200.0]), np.array([0.0, 400.0])),
    }
    out = dd.optimise_budget(curves, 250.0, bounds={"a": (0, 50), "b": (20, 200)}).set_index("channel_id")
    assert out.loc["a", "spend_usd"] == pytest.approx(50.0)
    assert out.loc["a", "at_bound"] == "upper"
    assert out.loc["b", "spend_usd"] == pytest.approx(200.0)
    with pytest.raises(ValueError):
        dd.optimise_budget(curves, 10.0, bounds={"a": (0, 50), "b": (20, 200)})


def test_s_shaped_curve_uses_its_concave_envelope():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array([0.0, 0.1, 3.0, 3.2])  # S-shaped: convex then concave
    hx, hy = dd.concave_envelope(x, y)
    assert list(hx) == [0.0, 2.0, 3.0]
    assert list(hy) == [0.0, 3.0, 3.2]


def test_matches_a_numerical_optimum_and_equalises_marginal_roi():
    # concave Hill-like curves (slope 1): R(x) = beta * x / (x + k)
    params = {"ctv": (9e6, 2e6), "meta": (4e6, 0.5e6), "search": (6e6, 1e6), "youtube": (7e6, 3e6)}
    curves = {c: _curve(lambda s, b=b, k=k: b * s / (s + k), 10e6, n=2001) for c, (b, k) in params.items()}
    budget = 8e6
    out = dd.optimise_budget(curves, budget).set_index("channel_id")
    assert out["spend_usd"].sum() == pytest.approx(budget)

    names = sorted(params)

    def neg(x_m):  # in millions of USD, so that SLSQP is well scaled
        return -sum(params[c][0] / 1e6 * v / (v + params[c][1] / 1e6) for c, v in zip(names, x_m))
    res = minimize(neg, np.full(4, budget / 4e6), method="SLSQP", bounds=[(0, 10)] * 4,
                   constraints=[{"type": "eq", "fun": lambda x: x.sum() - budget / 1e6}], options={"ftol": 1e-14})
    assert res.success
    # same total revenue and the same split, to the grid's resolution (5,000 USD)
    assert out["incremental_revenue_usd"].sum() == pytest.approx(-res.fun * 1e6, rel=1e-5)
    np.testing.assert_allclose(out.loc[names, "spend_usd"].to_numpy(), res.x * 1e6, atol=1e4)
    # interior channels share one marginal ROI, and it is the analytic derivative there
    interior = out[out["at_bound"] == ""]
    assert len(interior) >= 3
    assert interior["marginal_roi"].max() - interior["marginal_roi"].min() < 0.01
    for c, row in interior.iterrows():
        b, k = params[c]
        assert row["marginal_roi"] == pytest.approx(b * k / (row["spend_usd"] + k) ** 2, rel=0.01)


def test_more_budget_never_earns_less():
    curves = {c: _curve(lambda s, b=b: b * np.sqrt(s), 5e6) for c, b in {"a": 30.0, "b": 50.0, "c": 20.0}.items()}
    totals = [dd.optimise_budget(curves, b)["incremental_revenue_usd"].sum() for b in (1e6, 2e6, 4e6, 8e6)]
    assert all(later >= earlier for earlier, later in zip(totals, totals[1:]))


def test_curves_from_table_adds_zero_point_and_sorts():
    df = pd.DataFrame({"channel_id": ["x", "x", "y", "y"], "spend_usd": [200.0, 100.0, 0.0, 50.0],
                       "incremental_revenue_usd": [150.0, 100.0, 0.0, 40.0]})
    curves = dd.curves_from_table(df)
    assert list(curves["x"].spend) == [0.0, 100.0, 200.0]
    assert curves["x"](150.0) == pytest.approx(125.0)
    assert curves["y"].marginal(10.0) == pytest.approx(0.8)


def test_bounds_around_caps_at_curve_end():
    curves = {"a": dd.Curve(np.array([0.0, 120.0]), np.array([0.0, 1.0]))}
    assert dd.bounds_around({"a": 100.0}, band=0.5, curves=curves) == {"a": (50.0, 120.0)}


def test_missing_database_gives_a_plain_message(tmp_path):
    with pytest.raises(dd.DatabaseNotBuilt, match="make build"):
        dd.connect(tmp_path / "nope.duckdb")


def test_run_results_are_summarised(tmp_path):
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({"metadata": {"generated_at": "2026-11-22T10:00:00Z"}, "args": {}, "results": [
        {"unique_id": "model.media_impact.fct_x", "status": "success", "execution_time": 0.5, "failures": None,
         "message": "OK"},
        {"unique_id": "test.media_impact.not_null_fct_x_id.abc", "status": "pass", "execution_time": 0.1,
         "failures": 0, "message": None},
        {"unique_id": "test.media_impact.unique_fct_x_id.def", "status": "fail", "execution_time": 0.1,
         "failures": 3, "message": "Got 3 results"},
    ]}))
    df = dd.load_run_results(path)
    assert list(df["kind"]) == ["model", "test", "test"]
    assert df["unique_id"].iloc[1] == "test.media_impact.not_null_fct_x_id.abc"
    summary = dd.summarise_run_results(df)
    assert summary.set_index(["kind", "status"]).loc[("test", "fail"), "nodes"] == 1
    assert dd.load_run_results(tmp_path / "missing.json") is None


def test_test_names_come_from_the_manifest(tmp_path):
    manifest = {"nodes": {
        "test.p.unique_combination_of_columns_fct_x_a__b.9f8e7d": {
            "resource_type": "test", "name": "unique_combination_of_columns_fct_x_a__b",
            "attached_node": "model.p.fct_x", "column_name": None,
            "test_metadata": {"name": "unique_combination_of_columns",
                              "kwargs": {"combination_of_columns": ["a", "b"], "model": "{{ ref('fct_x') }}"}}},
        "test.p.accepted_range_fct_x_share.1a2b3c": {
            "resource_type": "test", "name": "accepted_range_fct_x_share", "attached_node": "model.p.fct_x",
            "column_name": "share", "test_metadata": {"name": "accepted_range",
                                                      "kwargs": {"min_value": 0, "max_value": 1,
                                                                 "column_name": "share", "model": "x"}}},
        "test.p.mmm_sums_to_fitted": {
            "resource_type": "test", "name": "mmm_sums_to_fitted", "depends_on": {"nodes": ["model.p.mmm_d"]}},
        "model.p.fct_x": {"resource_type": "model", "name": "fct_x"},
    }}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    described = dd.describe_tests(manifest).set_index("unique_id")
    combo = described.loc["test.p.unique_combination_of_columns_fct_x_a__b.9f8e7d"]
    assert (combo["test_type"], combo["model"], combo["column"]) == ("unique_combination_of_columns", "fct_x", "a, b")
    rng = described.loc["test.p.accepted_range_fct_x_share.1a2b3c"]
    assert (rng["column"], rng["arguments"]) == ("share", "max_value=1, min_value=0")
    assert described.loc["test.p.mmm_sums_to_fitted", "test_type"] == "singular"

    results = pd.DataFrame({"unique_id": ["test.p.accepted_range_fct_x_share.1a2b3c", "test.p.gone.ffff"],
                            "kind": ["test", "test"], "name": ["accepted_range_fct_x_share", "gone"]})
    results.attrs["generated_at"] = "2026-12-01T10:00:00Z"
    readable = dd.readable_run_results(results, tmp_path / "manifest.json")
    assert readable.attrs["generated_at"] == "2026-12-01T10:00:00Z"
    assert list(readable["model"]) == ["fct_x", "gone"]
    assert list(readable["test_type"]) == ["accepted_range", ""]


def test_blended_roi_and_its_conservative_band():
    df = pd.DataFrame({"spend_usd": [100.0, 300.0], "incremental_revenue_usd": [250.0, 350.0],
                       "incremental_revenue_lower_90_usd": [200.0, 250.0],
                       "incremental_revenue_upper_90_usd": [300.0, 500.0]})
    out = dd.blended_roi(df)
    assert out["roi"] == pytest.approx(1.5)  # 600 / 400, not the mean of 2.5 and 1.17
    assert (out["roi_lower_90"], out["roi_upper_90"]) == (pytest.approx(450 / 400), pytest.approx(800 / 400))
    no_band = dd.blended_roi(df.drop(columns=["incremental_revenue_upper_90_usd"]))
    assert np.isnan(no_band["roi_lower_90"]) and no_band["roi"] == pytest.approx(1.5)
    nulls = dd.blended_roi(df.assign(incremental_revenue_lower_90_usd=np.nan))
    assert np.isnan(nulls["roi_upper_90"])


def test_weeks_covered_and_current_spend_points():
    weeks = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-13", "2025-01-20"])
    assert dd.weeks_covered(pd.DataFrame({"week_start": weeks})) == {
        "first_week": pd.Timestamp("2025-01-06").date(), "last_week": pd.Timestamp("2025-01-20").date(), "n_weeks": 3}
    curves = pd.DataFrame({"channel_id": ["b", "b", "a", "a"], "spend_usd": [0.0, 10.0, 0.0, 4.0],
                           "is_current_spend": [False, True, False, True]})
    now = dd.current_spend_points(curves)
    assert list(now["channel_id"]) == ["a", "b"] and list(now["spend_usd"]) == [4.0, 10.0]
    assert dd.current_spend_points(curves.drop(columns=["is_current_spend"])).empty
    assert dd.has_values(curves, "spend_usd") and not dd.has_values(curves.assign(x=np.nan), "x")
    assert not dd.has_values(curves, "missing_column")


def _lens_inputs():
    lenses = pd.DataFrame({"channel_id": ["ctv", "search", "walmart"], "channel_name": ["CTV", "Search", "Walmart"],
                           "channel_group": ["video", "search", "retail"],
                           "last_touch_credit_share": [0.05, 0.60, 0.35], "markov_credit_share": [0.3, 0.4, 0.3],
                           "shapley_credit_share": [0.3, 0.4, 0.3],
                           "spend_usd": [999.0, 999.0, 999.0]})  # pooled over countries: must not be used
    spend = pd.DataFrame({"channel_id": ["ctv", "search", "walmart"], "spend_usd": [60.0, 40.0, 0.0]})
    roi = pd.DataFrame({"channel_id": ["ctv", "search"], "incremental_revenue_usd": [180.0, -20.0],
                        "roi": [3.0, -0.5], "roi_lower_90": [2.0, -1.0], "roi_upper_90": [4.0, 0.1]})
    experiments = pd.DataFrame({"channel_id": ["ctv", "ctv", "ctv"], "method": ["tbr", "tbr", "synthetic_control"],
                                "experiment_id": ["old", "new", "new"],
                                "test_end_date": pd.to_datetime(["2024-01-01", "2025-01-01", "2025-01-01"]),
                                "iroas": [1.0, 2.5, 9.0], "iroas_lower": [0.5, 2.0, 8.0], "iroas_upper": [1.5, 3.0, 10.0]})
    return lenses, spend, roi, experiments


def test_country_lenses_use_the_countrys_spend_mmm_and_experiment():
    out = dd.country_lenses(*_lens_inputs()).set_index("channel_id")
    assert list(out.index) == ["ctv", "search"]  # walmart has no spend in this country
    assert out["spend_usd"].tolist() == [60.0, 40.0] and out.loc["ctv", "spend_share"] == pytest.approx(0.6)
    # share of the positive total: 180 / 180; a negative estimate gets share 0
    assert out.loc["ctv", "mmm_incremental_revenue_share"] == pytest.approx(1.0)
    assert out.loc["search", "mmm_incremental_revenue_share"] == pytest.approx(0.0)
    assert out.loc["ctv", "experiment_iroas"] == pytest.approx(2.5)  # latest TBR, not the synthetic control
    assert out.loc["ctv", "experiment_iroas_upper_90"] == pytest.approx(3.0)
    assert np.isnan(out.loc["search", "experiment_iroas"])
    # last touch 0.05 vs 1.0: under-credited; 0.60 vs 0.0: over-credited
    assert out["last_touch_credit_flag"].tolist() == ["under_credited", "over_credited"]
    assert out.loc["ctv", "mmm_roi_lower_90"] == pytest.approx(2.0)


def test_country_lenses_flag_tolerance_and_markov_fallback():
    lenses, spend, roi, _ = _lens_inputs()
    roi = pd.DataFrame({"channel_id": ["ctv", "search"], "incremental_revenue_usd": [1.0, 1.0], "roi": [1.0, 1.0]})
    lenses = lenses.assign(last_touch_credit_share=[0.62, 0.38, 0.0])
    # shares 0.5 / 0.5: 0.62 <= 1.25 x 0.5 is in line; 0.38 x 1.25 = 0.475 < 0.5 is under-credited
    out = dd.country_lenses(lenses, spend, roi).set_index("channel_id")
    assert out["last_touch_credit_flag"].to_dict() == {"ctv": "in_line", "search": "under_credited"}
    assert dd.country_lenses(lenses, spend, roi, tolerance=0.5).loc[1, "last_touch_credit_flag"] == "in_line"
    no_mmm = dd.country_lenses(lenses, spend, roi.iloc[:1]).set_index("channel_id")
    assert no_mmm.loc["search", "incremental_credit_share"] == pytest.approx(0.4)  # Markov's share


def _decomposition():
    weeks = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27"])
    actual = [100.0, 110.0, 90.0, 120.0]
    fitted = [98.0, 112.0, 91.0, 117.0]
    rows = []
    for w, a, f in zip(weeks, actual, fitted):
        for ctype, comp, share in (("base", "base", 0.5), ("control", "trend", 0.1), ("control", "holiday", 0.1),
                                   ("media", "ctv", 0.2), ("media", "search", 0.1)):
            rows.append({"week_start": w, "component_type": ctype, "component": comp,
                         "contribution_usd": share * f, "actual_revenue_usd": a, "fitted_revenue_usd": f})
    return pd.DataFrame(rows)


def test_actual_vs_fitted_and_fit_diagnostics_by_hand():
    weekly = dd.actual_vs_fitted(_decomposition())
    assert weekly["residual_usd"].tolist() == [2.0, -2.0, -1.0, 3.0]
    diag = dd.fit_diagnostics(weekly)
    # SSE = 4 + 4 + 1 + 9 = 18; mean 105, SST = 25 + 25 + 225 + 225 = 500
    assert diag["r2"] == pytest.approx(1 - 18 / 500)
    assert diag["mape"] == pytest.approx((2 / 100 + 2 / 110 + 1 / 90 + 3 / 120) / 4)
    assert diag["nrmse"] == pytest.approx(np.sqrt(18 / 4) / 30)
    # e_t e_{t-1}: -4 + 2 - 3 = -5; diffs -4, 1, 4: 16 + 1 + 16 = 33
    assert diag["residual_lag1_autocorrelation"] == pytest.approx(-5 / 18)
    assert diag["durbin_watson"] == pytest.approx(33 / 18)
    assert diag["largest_residual_share"] == pytest.approx(0.025)
    assert diag["largest_residual_week"] == pd.Timestamp("2025-01-27")


def test_decomposition_groups_add_up_to_fitted():
    decomposition = _decomposition()
    out = dd.decomposition_over_time(decomposition)
    assert set(out["component_group"]) == {"base", "controls", "ctv", "search"}
    first = out[out["week_start"] == pd.Timestamp("2025-01-06")].set_index("component_group")["contribution_usd"]
    assert first["controls"] == pytest.approx(0.2 * 98.0)
    totals = out.groupby("week_start")["contribution_usd"].sum().to_numpy()
    np.testing.assert_allclose(totals, [98.0, 112.0, 91.0, 117.0])


def test_sampler_diagnostics_only_what_the_run_has():
    run = pd.Series({"run_id": "x", "r2_train": 0.9, "rhat_max": 1.01, "ess_bulk_min": 812.0, "divergences": 0,
                     "acceptance_rate": np.nan})
    assert dd.sampler_diagnostics(run) == {"rhat_max": 1.01, "ess_bulk_min": 812.0, "divergences": 0}
    assert dd.sampler_diagnostics(pd.Series({"r2_train": 0.9, "mape_oos": 0.01})) == {}


def test_scenario_summary_per_scenario():
    scen = pd.DataFrame({
        "scenario_id": ["reallocate", "reallocate", "current", "current"],
        "scenario_name": ["move 5 from b to a"] * 2 + ["now"] * 2,
        "channel_id": ["a", "b", "a", "b"],
        "spend_usd": [15.0, 5.0, 10.0, 10.0], "current_spend_usd": [10.0, 10.0, 10.0, 10.0],
        "incremental_revenue_usd": [40.0, 8.0, 30.0, 15.0], "current_incremental_revenue_usd": [30.0, 15.0, 30.0, 15.0],
        "scenario_gain_usd": [3.0, 3.0, 0.0, 0.0], "scenario_gain_lower_90_usd": [1.0, 1.0, 0.0, 0.0],
        "scenario_gain_upper_90_usd": [5.0, 5.0, 0.0, 0.0], "note": ["b->a", "b->a", "", ""]})
    out = dd.scenario_summary(scen).set_index("scenario_id")
    assert list(out.index) == ["reallocate", "current"]
    r = out.loc["reallocate"]
    assert (r["spend_moved_usd"], r["spend_usd"], r["incremental_revenue_usd"]) == (5.0, 20.0, 48.0)
    assert (r["scenario_gain_usd"], r["scenario_gain_lower_90_usd"], r["scenario_gain_upper_90_usd"]) == (3.0, 1.0, 5.0)
    old = dd.scenario_summary(scen.drop(columns=["scenario_gain_usd", "scenario_gain_lower_90_usd",
                                                 "scenario_gain_upper_90_usd"])).set_index("scenario_id")
    assert old.loc["reallocate", "scenario_gain_usd"] == pytest.approx(48.0 - 45.0)
    assert np.isnan(old.loc["reallocate", "scenario_gain_lower_90_usd"])
