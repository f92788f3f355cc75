"""Markov-chain attribution with removal effects, solved exactly.

The journeys form an absorbing Markov chain. Transient states are ``start`` and,
for order ``k``, the tuple of the last ``k`` channels seen (shorter tuples at the
start of a path); the absorbing states are ``conversion`` and ``null`` (the path
ended without converting). Transition probabilities are the observed transition
counts, each journey weighted by its conversions plus its nulls, divided by the
row totals.

With ``Q`` the transient-to-transient block and ``r`` the one-step probability of
converting, the probability of eventually converting from every transient state
solves the linear system

    (I - Q) x = r,        P(conversion) = x[start].

Removing channel ``c`` sends every transition into a state that contains ``c``
to ``null``; that is the same system restricted to the states without ``c``:

    (I - Q_kk) x_k = r_k,  P_-c = x_k[start],
    removal effect RE_c = 1 - P_-c / P(conversion).

Credited conversions are ``total conversions * RE_c / sum(RE)``. For value, the
one-step reward of state ``s`` is the conversion value of the journeys that
converted from ``s`` divided by all journeys leaving ``s``; solving the same
system with that reward gives the expected value per journey, its removal
effects and ``total value * REv_c / sum(REv)``.

No simulation: every quantity is one sparse linear solve, so the answer is exact
to floating point (ChannelAttribution estimates the same removal effects by
simulating journeys).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from media_impact.attribution.paths import PathTable, collapse_repeats, read_path_table

START = ("(start)",)


@dataclass(frozen=True)
class MarkovChain:
    """The fitted absorbing chain."""

    states: list[tuple[str, ...]]  # transient states, states[0] is START
    q: sp.csr_matrix  # transient -> transient probabilities
    conversion_rate: np.ndarray  # one-step P(state -> conversion)
    value_reward: np.ndarray  # one-step expected conversion value from state
    channels: list[str]

    def solve(self, keep: np.ndarray | None = None) -> tuple[float, float]:
        """(P(conversion), expected value) from start, on the states in ``keep``."""
        q, r, v = self.q, self.conversion_rate, self.value_reward
        if keep is not None:
            q = q[keep][:, keep]
            r = r[keep]
            v = v[keep]
        a = (sp.identity(q.shape[0], format="csc") - q.tocsc())
        rhs = np.column_stack([r, v])
        x = spla.splu(a).solve(rhs)
        return float(x[0, 0]), float(x[0, 1])


def fit_markov_chain(table: PathTable, order: int = 1, collapse: bool = True) -> MarkovChain:
    """Count transitions of the order-``order`` chain over the distinct paths."""
    if order < 1:
        raise ValueError("markov order must be >= 1")
    index: dict[tuple[str, ...], int] = {START: 0}
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    out_conv = [0.0]
    out_value = [0.0]
    out_total = [0.0]

    def state_id(state: tuple[str, ...]) -> int:
        i = index.get(state)
        if i is None:
            i = index[state] = len(index)
            out_conv.append(0.0)
            out_value.append(0.0)
            out_total.append(0.0)
        return i

    for tokens, conv, value, nulls in zip(
        table.paths, table.conversions, table.conversion_value_usd, table.null_count
    ):
        journeys = conv + nulls
        if journeys <= 0:
            continue
        if collapse:
            tokens = collapse_repeats(tokens)
        prev = 0
        for i in range(len(tokens)):
            cur = state_id(tuple(tokens[max(0, i - order + 1): i + 1]))
            rows.append(prev)
            cols.append(cur)
            weights.append(journeys)
            out_total[prev] += journeys
            prev = cur
        out_total[prev] += journeys
        out_conv[prev] += conv
        out_value[prev] += value

    n = len(index)
    totals = np.asarray(out_total)
    if totals[0] <= 0:
        raise ValueError("no journeys to fit")
    counts = sp.coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()
    counts.sum_duplicates()
    inv = sp.diags(np.divide(1.0, totals, out=np.zeros(n), where=totals > 0))
    states = [None] * n
    for state, i in index.items():
        states[i] = state
    return MarkovChain(
        states=states,
        q=(inv @ counts).tocsr(),
        conversion_rate=np.divide(out_conv, totals, out=np.zeros(n), where=totals > 0),
        value_reward=np.divide(out_value, totals, out=np.zeros(n), where=totals > 0),
        channels=table.channels,
    )


def markov_attribution(
    paths: pd.DataFrame | PathTable, order: int = 1, collapse: bool = True
) -> pd.DataFrame:
    """Removal effects and credit per channel.

    Returns one row per channel: ``channel_id``, ``removal_effect``,
    ``removal_effect_value``, ``credited_conversions``, ``credited_value_usd``,
    plus the baseline ``conversion_probability`` and ``value_per_journey_usd``
    (the same on every row). Credited conversions sum to the total conversions
    and credited value to the total value.
    """
    table = paths if isinstance(paths, PathTable) else read_path_table(paths)
    chain = fit_markov_chain(table, order=order, collapse=collapse)
    p_base, v_base = chain.solve()
    if p_base <= 0:
        raise ValueError("no conversions: removal effects are undefined")
    records = []
    for channel in chain.channels:
        keep = np.array([channel not in s for s in chain.states])
        keep[0] = True
        p_removed, v_removed = chain.solve(keep)
        records.append(
            {
                "channel_id": channel,
                "removal_effect": 1.0 - p_removed / p_base,
                "removal_effect_value": (1.0 - v_removed / v_base) if v_base > 0 else 0.0,
            }
        )
    out = pd.DataFrame.from_records(records)
    re_sum = out["removal_effect"].sum()
    rev_sum = out["removal_effect_value"].sum()
    out["credited_conversions"] = table.total_conversions * out["removal_effect"] / re_sum
    out["credited_value_usd"] = (
        table.total_conversion_value_usd * out["removal_effect_value"] / rev_sum if rev_sum > 0 else 0.0
    )
    out["conversion_probability"] = p_base
    out["value_per_journey_usd"] = v_base
    out["markov_order"] = order
    return out.sort_values("credited_conversions", ascending=False, ignore_index=True)
