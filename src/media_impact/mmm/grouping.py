"""Bounded market groups: a country's panel never has more than `max_series` series.

The panel's cost (every search step, every sampler step, every posterior draw's
response) grows with the number of series, so a country with ten times the markets
would take ten times as long and hold ten times the memory (the draws' response is
draws x series x weeks x channels). Past `max_series` markets, the markets are pooled
into `max_series` groups and the group is the series: revenue, spend, retailer
revenue and population summed, numeric controls averaged, the other columns (holiday
names) taken from the first market. A group's per-capita spend is its markets'
population-weighted mean, so the model's one curve per channel is read at that mean.
Where markets of a group spend very differently per capita, the curve of the mean is
not the mean of the curves (Jensen's gap), so markets are pooled with their neighbours
in per-capita spend: sorted by it and cut into runs of near-equal length.

Markets that an experiment tested are pooled only with markets that were tested by
exactly the same experiments, so an experiment's lift, modelled over its test markets
(`Experiment.groups`), is modelled over whole groups; the calibration table's
`test_market_ids` are rewritten to the groups' labels. A country with at most
`max_series` markets is fitted market by market, as before (the sample world: 12 and
3). Decision: docs/decisions/mmm.md "Bounded market groups".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Grouping:
    max_series: int = 128

    @classmethod
    def from_dict(cls, d: dict | None) -> "Grouping":
        d = dict(d or {})
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown panel setting(s): {', '.join(sorted(unknown))}")
        g = cls(**d)
        if int(g.max_series) < 1:
            raise ValueError(f"panel.max_series must be at least 1, got {g.max_series!r}")
        return g


def _tested_by(calibration: pd.DataFrame | None, country: str) -> dict[str, frozenset]:
    """market -> the experiments that tested it (this country's rows with test markets)."""
    out: dict[str, set] = {}
    if calibration is None or not len(calibration) or "test_market_ids" not in calibration.columns:
        return {}
    for r in calibration.itertuples(index=False):
        if str(getattr(r, "country_id", country)) != country or not isinstance(r.test_market_ids, str):
            continue
        for m in filter(None, r.test_market_ids.split(";")):
            out.setdefault(m, set()).add(str(r.experiment_id))
    return {m: frozenset(e) for m, e in out.items()}


def market_groups(frame: pd.DataFrame, mapping: dict, country: str, max_series: int,
                  calibration: pd.DataFrame | None = None) -> dict[str, str] | None:
    """market -> group label for `country`, or None when it has at most `max_series` markets.

    Markets with the same set of experiments form a stratum; each stratum gets groups in
    proportion to its markets (at least one), and its markets, sorted by mean per-capita
    spend (then id), are cut into that many runs of near-equal length. A label is the
    first market's id and the number of the others (``ny_01+7``)."""
    gcol, ccol = mapping.get("group_column"), mapping.get("country_column")
    if not gcol:
        return None
    rows = frame[frame[ccol].astype(str) == country] if ccol else frame
    markets = sorted(rows[gcol].astype(str).unique())
    if len(markets) <= max_series:
        return None
    spend = rows[list(mapping["spend_columns"].values())].astype(float).sum(axis=1)
    per_market = spend.groupby(rows[gcol].astype(str)).sum()
    pop = mapping.get("population_column")
    if pop and pop in rows.columns:
        per_market = per_market / rows.groupby(rows[gcol].astype(str))[pop].first().astype(float).clip(lower=1e-9)
    tested = _tested_by(calibration, country)
    strata: dict[frozenset, list[str]] = {}
    for m in markets:
        strata.setdefault(tested.get(m, frozenset()), []).append(m)
    # groups per stratum: proportional, at least one each, largest remainders first, total max_series
    keys = sorted(strata, key=lambda k: (len(k), sorted(k)))
    n = np.array([len(strata[k]) for k in keys], float)
    budget = max(int(max_series), len(keys))
    share = n / n.sum() * budget
    alloc = np.maximum(np.floor(share).astype(int), 1)
    for i in np.argsort(-(share - np.floor(share)), kind="stable"):
        if alloc.sum() >= budget:
            break
        alloc[i] += 1
    while alloc.sum() > budget:            # the at-least-one floor overshot: trim the largest
        alloc[int(np.argmax(alloc))] -= 1
    alloc = np.minimum(alloc, n.astype(int))
    out = {}
    for key, k in zip(keys, alloc):
        ordered = sorted(strata[key], key=lambda m: (float(per_market[m]), m))
        for run in np.array_split(np.array(ordered, dtype=object), int(k)):
            label = f"{run[0]}+{len(run) - 1}" if len(run) > 1 else str(run[0])
            out.update({str(m): label for m in run})
    return out


def pool_markets(frame: pd.DataFrame, mapping: dict, groups: dict[str, str]) -> pd.DataFrame:
    """The rows of the grouped markets replaced by one row per group and week (see module doc)."""
    gcol, date = mapping["group_column"], mapping["date_column"]
    inside = frame[gcol].astype(str).isin(groups)
    part = frame[inside].copy()
    part[gcol] = part[gcol].astype(str).map(groups)
    summed = [mapping["kpi_column"], *mapping["spend_columns"].values(), *(mapping.get("split_columns") or {}).values()]
    if mapping.get("population_column"):
        summed.append(mapping["population_column"])
    averaged = [c for c in (mapping.get("controls") or []) if c not in summed]
    agg = {c: ("sum" if c in summed else "mean" if c in averaged else "first")
           for c in part.columns if c not in (gcol, date)}
    pooled = part.groupby([gcol, date], as_index=False, sort=True).agg(agg)
    return pd.concat([frame[~inside], pooled[frame.columns]], ignore_index=True)


def relabel_experiments(calibration: pd.DataFrame | None, groups: dict[str, str] | None) -> pd.DataFrame | None:
    """`test_market_ids` in group labels (each test market's group, once)."""
    if not groups or calibration is None or "test_market_ids" not in calibration.columns:
        return calibration
    out = calibration.copy()
    out["test_market_ids"] = [
        ";".join(dict.fromkeys(groups.get(m, m) for m in v.split(";") if m)) if isinstance(v, str) else v
        for v in out["test_market_ids"]]
    return out
