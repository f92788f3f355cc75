import numpy as np
import pandas as pd
import pytest

from media_impact.forecast.metrics import backtest_metrics, pinball


def test_pinball_hand():
    # under-forecast by 10 at tau 0.9 costs 9; over-forecast by 10 costs 1
    assert pinball(np.array([110.0]), np.array([100.0]), 0.9)[0] == pytest.approx(9.0)
    assert pinball(np.array([90.0]), np.array([100.0]), 0.9)[0] == pytest.approx(1.0)


def test_backtest_metrics_hand():
    pred = pd.DataFrame({
        "level": "series", "series_id": ["a", "a", "b", "b"], "model": "m",
        "units": [100.0, 200.0, 10.0, 30.0],
        "p10": [90.0, 150.0, 5.0, 25.0], "p50": [110.0, 180.0, 10.0, 40.0], "p90": [120.0, 210.0, 15.0, 45.0],
    })
    scale = pd.Series({"a": 20.0, "b": 5.0})
    m = backtest_metrics(pred, scale).set_index("series_id")
    # series a: |e| = 10, 20 -> mean 15 / 20 = 0.75; WAPE 30/300; bias (10 - 20)/300
    assert m.at["a", "mase"] == pytest.approx(0.75)
    assert m.at["a", "wape"] == pytest.approx(0.1)
    assert m.at["a", "bias"] == pytest.approx(-10 / 300)
    assert m.at["a", "coverage_80"] == pytest.approx(1.0)
    # series b: |e| = 0, 10 -> MASE 5/5 = 1; second actual 30 lies outside [25, 45]? no: inside
    assert m.at["b", "mase"] == pytest.approx(1.0)
    # overall: MASE averages series, WAPE pools rows
    assert m.at["__overall__", "mase"] == pytest.approx(0.875)
    assert m.at["__overall__", "wape"] == pytest.approx(40 / 340)
    # pinball of row 1 (y=100): tau .1 q 90 -> 1; tau .5 q 110 -> 5; tau .9 q 120 -> 2; mean 8/3
    row_pinballs = [8 / 3]
    assert row_pinballs[0] == pytest.approx(np.mean([pinball(np.array([100.0]), np.array([q]), t)[0] for q, t in ((90, .1), (110, .5), (120, .9))]))
