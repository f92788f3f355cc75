"""The prediction cache's key and its reuse (media_impact.forecast.fingerprint, dbt_entry.prediction_cache)."""
import pandas as pd
import pytest

from media_impact.forecast import dbt_entry
from media_impact.forecast.config import load_config
from media_impact.forecast.fingerprint import input_fingerprint
from media_impact.forecast.synthetic import make_panel


@pytest.fixture(scope="module")
def features():
    return make_panel(n_markets=2, n_weeks=60, seed=3)[0]


def test_same_inputs_same_fingerprint_in_any_row_order(features):
    cfg = load_config()
    shuffled = features.sample(frac=1.0, random_state=1)
    assert input_fingerprint(features, cfg) == input_fingerprint(shuffled, cfg)


def test_a_changed_unit_setting_or_horizon_changes_it(features):
    cfg = load_config()
    base = input_fingerprint(features, cfg)
    edited = features.copy()
    edited.loc[10, "units"] += 1
    assert input_fingerprint(edited, cfg) != base
    assert input_fingerprint(features, load_config(global_model={"max_iter": 59})) != base
    assert input_fingerprint(features, load_config(horizon=12)) != base


def test_cached_rows_are_returned_without_fitting():
    """A stored fingerprint's rows come back with reuse_count + 1; the features are not read
    (an empty table would fail any fit)."""
    key = pd.DataFrame({"input_fingerprint": ["abc"]})
    cached = pd.DataFrame({"input_fingerprint": ["abc"] * 2, "prediction_kind": ["backtest", "forecast"],
                           "week_start": pd.to_datetime(["2025-01-06", "2025-01-13"]), "p50": [1.0, 2.0],
                           "reuse_count": [0, 0]})
    out = dbt_entry.prediction_cache(pd.DataFrame(), key, cached)
    assert out["reuse_count"].tolist() == [1, 1]
    assert out["p50"].tolist() == [1.0, 2.0]
    with pytest.raises(ValueError):
        dbt_entry.prediction_cache(pd.DataFrame(), key, cached.iloc[:0])
