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
    summary = dd.summarise_run_results(df)
    assert summary.set_index(["kind", "status"]).loc[("test", "fail"), "nodes"] == 1
    assert dd.load_run_results(tmp_path / "missing.json") is None
