"""Shapley-value attribution over the channels of converting paths.

The cooperative game: the worth of a coalition ``S`` of channels is what the
journeys whose set of distinct channels lies inside ``S`` produced,

    v(S) = sum over paths p with set(p) a subset of S of conversions(p).

Its Harsanyi dividends are ``d(T) = conversions of paths whose distinct set is
exactly T`` (Moebius inversion of ``v``), and a Shapley value is the sum of the
dividends of the coalitions containing the player split equally:

    phi_i = sum over T containing i of d(T) / |T|.

That is exact, needs only the coalitions that occur on some path (never the
2^n subsets), and the same holds for value with conversion value in place of
conversions. Credits sum to the totals (efficiency).
"""
from __future__ import annotations

from collections import defaultdict

import pandas as pd

from media_impact.attribution.paths import PathTable, read_path_table


def shapley_attribution(paths: pd.DataFrame | PathTable) -> pd.DataFrame:
    """Shapley credit per channel: ``channel_id``, ``credited_conversions``, ``credited_value_usd``."""
    table = paths if isinstance(paths, PathTable) else read_path_table(paths)
    dividends: dict[frozenset[str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for tokens, conv, value in zip(table.paths, table.conversions, table.conversion_value_usd):
        if conv > 0 or value > 0:
            d = dividends[frozenset(tokens)]
            d[0] += conv
            d[1] += value
    credit: dict[str, list[float]] = {c: [0.0, 0.0] for c in table.channels}
    for coalition, (conv, value) in dividends.items():
        size = len(coalition)
        for channel in coalition:
            credit[channel][0] += conv / size
            credit[channel][1] += value / size
    out = pd.DataFrame(
        [(c, v[0], v[1]) for c, v in credit.items()],
        columns=["channel_id", "credited_conversions", "credited_value_usd"],
    )
    return out.sort_values("credited_conversions", ascending=False, ignore_index=True)
