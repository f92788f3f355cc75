"""Markov removal effects: parity with the published exact solution, and an independent check."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from media_impact.attribution import markov_attribution
from media_impact.attribution.paths import collapse_repeats, split_path

from .conftest import generate_path_table

# README of the shared reference data: RE to 6 decimals, credited to 3.
PUBLISHED = {
    "alpha": (0.558399, 5344.948), "iota": (0.405835, 3884.615), "eta": (0.349026, 3340.847),
    "beta": (0.264039, 2527.352), "theta": (0.206010, 1971.913), "lambda": (0.134022, 1282.847),
    "epsilon": (0.062639, 599.571), "zeta": (0.039811, 381.063), "kappa": (0.028663, 274.363),
    "gamma": (0.017880, 171.145), "delta": (0.000482, 4.614), "mi": (0.000180, 1.722),
}


def test_markov_order1_matches_published_exact_solution(pathdata):
    result = markov_attribution(pathdata, order=1).set_index("channel_id")
    assert set(result.index) == set(PUBLISHED)
    # published to 7 decimals: agree to half a unit of the last digit
    assert result["conversion_probability"].iloc[0] == pytest.approx(0.2238451, abs=5e-8)
    for channel, (removal_effect, credited) in PUBLISHED.items():
        # published rounded to 6 decimals (RE) and 3 decimals (credited): within 1e-6 of RE,
        # and within half a unit of the last published digit of credited
        assert abs(result.loc[channel, "removal_effect"] - removal_effect) <= 1e-6, channel
        assert abs(result.loc[channel, "credited_conversions"] - credited) <= 5e-4, channel
    assert result["credited_conversions"].sum() == pytest.approx(19785, abs=1e-6)
    assert result["credited_value_usd"].sum() == pytest.approx(pathdata["total_conversion_value"].sum(), abs=1e-6)


def _independent_removal_effects(frame: pd.DataFrame, order: int, iterations: int = 20000) -> dict[str, float]:
    """Removal effects by value iteration on a dense matrix built from scratch (no linear solve)."""
    transitions: dict[tuple, dict[tuple, float]] = {}
    channels: set[str] = set()
    for path, conv, nulls in zip(frame["path"], frame["conversions"], frame["null_count"]):
        tokens = collapse_repeats(split_path(path))
        channels.update(tokens)
        states = [("START",)] + [tuple(tokens[max(0, i - order + 1): i + 1]) for i in range(len(tokens))]
        for a, b in zip(states, states[1:]):
            transitions.setdefault(a, {}).setdefault(b, 0.0)
            transitions[a][b] += conv + nulls
        last = transitions.setdefault(states[-1], {})
        last[("CONV",)] = last.get(("CONV",), 0.0) + conv
        last[("NULL",)] = last.get(("NULL",), 0.0) + nulls

    def p_conversion(removed: str | None) -> float:
        prob = {s: 0.0 for s in transitions}
        for _ in range(iterations):
            new = {}
            for s, outs in transitions.items():
                if removed is not None and removed in s:
                    new[s] = 0.0
                    continue
                total = sum(outs.values())
                acc = 0.0
                for t, w in outs.items():
                    if t == ("CONV",):
                        acc += w / total
                    elif t != ("NULL",):
                        acc += w / total * prob.get(t, 0.0)
                new[s] = acc
            delta = max(abs(new[s] - prob[s]) for s in prob)
            prob = new
            if delta < 1e-15:
                break
        return prob[("START",)]

    base = p_conversion(None)
    return {c: 1 - p_conversion(c) / base for c in sorted(channels)}


@pytest.mark.parametrize("order,seed", [(1, 1), (1, 2), (2, 3), (3, 4)])
def test_markov_matches_value_iteration_on_generated_paths(order, seed):
    frame = generate_path_table(60, ["search", "social", "video", "display", "email"], seed=seed)
    result = markov_attribution(frame, order=order).set_index("channel_id")
    expected = _independent_removal_effects(frame, order)
    for channel, removal_effect in expected.items():
        assert result.loc[channel, "removal_effect"] == pytest.approx(removal_effect, abs=1e-9)
    assert result["credited_conversions"].sum() == pytest.approx(frame["conversions"].sum())
    assert result["credited_value_usd"].sum() == pytest.approx(frame["conversion_value_usd"].sum())


def test_markov_known_answer_two_channel_chain():
    # every journey is a > b; removing either channel kills every conversion: RE 1 each, equal split
    frame = pd.DataFrame({"path": ["a > b"], "conversions": [3], "conversion_value_usd": [30.0], "null_count": [7]})
    result = markov_attribution(frame).set_index("channel_id")
    assert result.loc["a", "removal_effect"] == pytest.approx(1.0)
    assert result.loc["b", "credited_conversions"] == pytest.approx(1.5)
    assert result["conversion_probability"].iloc[0] == pytest.approx(0.3)


def test_markov_known_answer_independent_channels():
    # a alone converts 2 of 10 journeys, b alone 6 of 10: P = 0.4; removing a leaves 0.3 (RE 0.25),
    # removing b leaves 0.1 (RE 0.75); 8 conversions split 2 : 6
    frame = pd.DataFrame(
        {"path": ["a", "b"], "conversions": [2, 6], "conversion_value_usd": [20.0, 120.0], "null_count": [8, 4]}
    )
    result = markov_attribution(frame).set_index("channel_id")
    assert result.loc["a", "removal_effect"] == pytest.approx(0.25)
    assert result.loc["b", "removal_effect"] == pytest.approx(0.75)
    assert result.loc["a", "credited_conversions"] == pytest.approx(2.0)
    # value: expected value per journey 7.0; without a 6.0 (REv 1/7), without b 1.0 (REv 6/7)
    assert result.loc["b", "credited_value_usd"] == pytest.approx(140 * 6 / 7)


def test_markov_collapses_repeats_by_default():
    frame = pd.DataFrame({"path": ["a > a > b", "a > b"], "conversions": [1, 1], "null_count": [1, 1]})
    collapsed = markov_attribution(frame)
    merged = markov_attribution(pd.DataFrame({"path": ["a > b"], "conversions": [2], "null_count": [2]}))
    pd.testing.assert_series_equal(collapsed["removal_effect"], merged["removal_effect"])


def test_markov_rejects_bad_input():
    with pytest.raises(ValueError):
        markov_attribution(pd.DataFrame({"path": ["a"], "conversions": [-1]}))
    with pytest.raises(ValueError):
        markov_attribution(pd.DataFrame({"path": ["a"], "conversions": [0], "null_count": [5]}))
    with pytest.raises(ValueError):
        markov_attribution(pd.DataFrame({"path": ["a"], "conversions": [1]}), order=0)
