"""Bounded market groups (mmm/grouping.py): past `panel.max_series` markets a country's
markets are pooled into that many groups; totals are kept, experiments' test markets are
pooled only among themselves."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from media_impact.mmm.data import panel_from_frame
from media_impact.mmm.grouping import Grouping, market_groups, pool_markets, relabel_experiments
from media_impact.mmm.pipeline import experiments_from_table

MAPPING = {"date_column": "week", "kpi_column": "revenue", "group_column": "market", "country_column": "country",
           "population_column": "pop", "controls": ["econ"], "spend_columns": {"tv": "spend_tv", "search": "spend_search"},
           "categorical_controls": [{"column": "holiday", "separator": ","}]}


def _frame(n_markets=10, weeks=8, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_markets):
        pop = 1000.0 * (g + 1)
        for t, week in enumerate(pd.date_range("2024-01-01", periods=weeks, freq="7D")):
            rows.append({"week": week, "market": f"m{g:02d}", "country": "us", "pop": pop,
                         "revenue": pop * (1 + 0.1 * rng.random()), "spend_tv": pop * g * rng.random(),
                         "spend_search": pop * rng.random(), "econ": 100 + t, "holiday": "xmas" if t == 3 else ""})
    return pd.DataFrame(rows)


CAL = pd.DataFrame({"experiment_id": ["geo1"], "country_id": ["us"], "channel_id": ["tv"],
                    "test_start_date": ["2024-01-15"], "test_end_date": ["2024-01-29"],
                    "incremental_revenue_usd": [-500.0], "incremental_revenue_se_usd": [50.0],
                    "spend_change_usd": [-100.0], "test_market_ids": ["m01;m05;m07"]})


def test_a_country_within_the_bound_is_fitted_market_by_market():
    assert market_groups(_frame(10), MAPPING, "us", 10) is None
    assert Grouping().max_series >= 15       # the sample world (12 and 3 markets) is never pooled


def test_pooling_keeps_the_totals_and_the_experiment_apart():
    frame = _frame(10)
    groups = market_groups(frame, MAPPING, "us", 4, CAL)
    assert len(set(groups.values())) == 4 and set(groups) == set(frame.market)
    tested = {groups[m] for m in ("m01", "m05", "m07")}
    assert all(m in ("m01", "m05", "m07") for m, g in groups.items() if g in tested)
    pooled = pool_markets(frame, MAPPING, groups)
    for col in ("revenue", "spend_tv", "spend_search"):
        assert np.isclose(pooled[col].sum(), frame[col].sum())
    by_week = pooled.groupby("week")["pop"].sum()
    assert np.allclose(by_week, frame.groupby("week")["pop"].sum())
    data = panel_from_frame(pooled, MAPPING, "market", "us")
    assert len(data.groups) == 4 and np.isclose(data.y.sum(), frame.revenue.sum())
    exps = experiments_from_table(relabel_experiments(CAL, groups), "us", data.channels, data.groups)
    assert len(exps) == 1 and set(exps[0].groups) == tested


def test_markets_are_pooled_with_their_neighbours_in_spend_per_capita():
    frame = _frame(12, seed=3)
    groups = market_groups(frame, MAPPING, "us", 3)
    per_capita = (frame.spend_tv + frame.spend_search).groupby(frame.market).sum() / frame.groupby("market")["pop"].first()
    ranges = per_capita.groupby(per_capita.index.map(groups)).agg(["min", "max"]).sort_values("min")
    assert (ranges["max"].to_numpy()[:-1] <= ranges["min"].to_numpy()[1:]).all()   # runs do not overlap


def test_a_bad_bound_is_a_message():
    with pytest.raises(ValueError, match="max_series"):
        Grouping.from_dict({"max_series": 0})
    with pytest.raises(ValueError, match="unknown panel setting"):
        Grouping.from_dict({"max_markets": 5})
