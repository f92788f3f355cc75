import numpy as np
import pandas as pd
import pytest

from media_impact.forecast.design import build_design
from media_impact.forecast.models import seasonal_naive
from media_impact.forecast.panel import extend_future, prepare_panel
from media_impact.forecast.synthetic import add_lag_features, make_panel


@pytest.fixture(scope="module")
def small():
    features, _ = make_panel(n_markets=2, n_weeks=120, seed=1)
    return features


def test_no_leakage_from_after_the_origin(small):
    """Changing units after the origin must not change any feature of forecasts made at the origin."""
    panel = prepare_panel(small)
    origin = panel["week_start"].sort_values().unique()[100]
    base = build_design(panel, 13)
    changed = small.copy()
    later = changed["week_start"] > origin
    changed.loc[later, "units"] = changed.loc[later, "units"] * 3 + 7
    changed = add_lag_features(changed.drop(columns=[c for c in changed.columns if c.startswith("units_")]))
    other = build_design(prepare_panel(changed), 13)
    rows_a = (base.index["origin_week"] == origin).to_numpy()
    rows_b = (other.index["origin_week"] == origin).to_numpy()
    pd.testing.assert_frame_equal(base.X.loc[rows_a].reset_index(drop=True), other.X.loc[rows_b].reset_index(drop=True))
    assert not np.allclose(base.y[rows_a], other.y[rows_b])


def test_seasonal_naive_is_last_years_week(small):
    panel = prepare_panel(small)
    design = build_design(panel, 13)
    origin = panel["week_start"].sort_values().unique()[100]
    sub = design.subset((design.index["origin_week"] == origin).to_numpy())
    q = seasonal_naive(sub, panel, origin, [0.1, 0.5, 0.9])
    truth = panel.set_index(["series_id", "week_start"])["units"]
    expected = truth.reindex(pd.MultiIndex.from_arrays([sub.index["series_id"], sub.index["week_start"] - pd.Timedelta(weeks=52)]))
    assert q[:, 1] == pytest.approx(np.clip(expected.to_numpy(), 0, None))
    assert (q[:, 0] <= q[:, 1]).all() and (q[:, 1] <= q[:, 2]).all()


def test_panel_rejects_gaps_and_extends_future(small):
    with pytest.raises(ValueError, match="dense weekly"):
        prepare_panel(small.drop(index=5))
    panel = extend_future(prepare_panel(small), 13)
    assert panel.groupby("series_id")["units"].apply(lambda u: u.isna().sum()).eq(13).all()
    future = panel.loc[panel["units"].isna()]
    assert future["planned_spend_usd"].notna().all()
    assert future["week_of_year"].between(1, 53).all()


def test_global_model_handles_more_markets_than_bins():
    from media_impact.forecast.models import GlobalQuantileModel

    features, _ = make_panel(n_markets=70, n_weeks=60, seed=2)
    design = build_design(prepare_panel(features), 4)
    params = {"max_iter": 5, "learning_rate": 0.1, "max_leaf_nodes": 7, "min_samples_leaf": 20,
              "l2_regularization": 1.0, "max_bins": 63, "max_train_rows": 5000}
    model = GlobalQuantileModel([0.1, 0.5, 0.9], params).fit(design)
    assert model.dropped == ["market"]
    q = model.predict(design.subset(np.arange(len(design.y)) < 500))
    assert q.shape == (500, 3) and (np.diff(q, axis=1) >= 0).all()
