"""Shapley credit: parity with the published values and a brute-force check of the formula."""
from __future__ import annotations

import itertools
from math import factorial

import pytest

from media_impact.attribution import shapley_attribution
from media_impact.attribution.paths import split_path

from .conftest import generate_path_table

PUBLISHED = {"alpha": 7627.944, "eta": 3613.656, "iota": 3505.044, "beta": 1982.739, "theta": 1190.963, "lambda": 987.782}


def test_shapley_matches_published_values(pathdata):
    result = shapley_attribution(pathdata).set_index("channel_id")
    for channel, value in PUBLISHED.items():
        assert abs(result.loc[channel, "credited_conversions"] - value) <= 5e-4, channel
    assert result["credited_conversions"].sum() == pytest.approx(19785)


@pytest.mark.parametrize("seed", [11, 12])
def test_shapley_equals_brute_force_enumeration(seed):
    channels = ["search", "social", "video", "display", "email", "tv"]
    frame = generate_path_table(80, channels, seed=seed)
    sets = [(frozenset(split_path(p)), c, v) for p, c, v in zip(frame["path"], frame["conversions"], frame["conversion_value_usd"])]

    def worth(coalition: frozenset, column: int) -> float:
        return sum(row[column] for row in sets if row[0] <= coalition)

    n = len(channels)
    expected = {}
    for player in channels:
        others = [c for c in channels if c != player]
        phi = [0.0, 0.0]
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for coalition in itertools.combinations(others, size):
                s = frozenset(coalition)
                for k, column in enumerate((1, 2)):
                    phi[k] += weight * (worth(s | {player}, column) - worth(s, column))
        expected[player] = phi
    result = shapley_attribution(frame).set_index("channel_id")
    for player, (conv, value) in expected.items():
        assert result.loc[player, "credited_conversions"] == pytest.approx(conv, abs=1e-9)
        assert result.loc[player, "credited_value_usd"] == pytest.approx(value, abs=1e-9)
