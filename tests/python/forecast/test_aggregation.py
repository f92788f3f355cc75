"""Country totals' intervals (forecast/aggregation.py): as wide as the series' past errors
moved together, between independent (root sum of squares) and comonotone (sum)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from media_impact.forecast.aggregation import correlation_factor, sum_quantiles


def _errors(rho: float, n: int = 30, cells: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((cells, 1))
    own = rng.standard_normal((cells, n))
    u = np.sqrt(rho) * common + np.sqrt(1 - rho) * own
    weeks = pd.date_range("2025-01-06", periods=cells, freq="7D")
    return pd.DataFrame({"country_id": "us", "origin_week": pd.Timestamp("2025-01-01"),
                         "week_start": np.repeat(weeks, n), "u": u.ravel()})


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.9])
def test_the_factor_is_one_plus_rho_times_n_minus_one(rho):
    """Equicorrelated errors of 30 series: R = 1 + rho (n - 1), within 15% on 400 weeks."""
    r = correlation_factor(_errors(rho))["us"]
    assert r == pytest.approx(max(1.0, 1 + rho * 29), rel=0.15)


def test_no_history_means_independent_series():
    assert correlation_factor(None) == {} and correlation_factor(pd.DataFrame()) == {}


def test_the_total_lies_between_independent_and_comonotone():
    frame = pd.DataFrame({"country_id": ["us"] * 3 + ["ca"] * 2, "p50": [10.0, 20, 30, 5, 5],
                          "p10": [8.0, 17, 26, 4, 4], "p90": [13.0, 24, 35, 6, 6]})
    indep = sum_quantiles(frame, ["country_id"], []).set_index("country_id")
    mid = sum_quantiles(frame, ["country_id"], [], {"us": 2.0}).set_index("country_id")
    full = sum_quantiles(frame, ["country_id"], [], {"us": 100.0}).set_index("country_id")
    assert indep.loc["us", "p90"] - 60 == pytest.approx(np.sqrt(9 + 16 + 25))
    assert mid.loc["us", "p90"] - 60 == pytest.approx(np.sqrt(2 * 50))
    assert full.loc["us", "p90"] - 60 == pytest.approx(12.0) and full.loc["us", "p10"] == pytest.approx(51.0)
    assert (mid.loc["ca"] == indep.loc["ca"]).all()         # no factor for ca: independent
