"""Aggregated conversion paths: the compact table SQL hands to Python.

A *path table* has one row per distinct path with the columns

- ``path``: channels in touch order joined by ``" > "`` (as built by the
  ``attribution_paths`` mart and as ChannelAttribution's ``PathData`` ships it),
- ``conversions``: journeys on this path that ended in a conversion,
- ``conversion_value_usd``: their summed value (optional, 0 when absent),
- ``null_count``: journeys on this path that ended without converting.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PATH_SEPARATOR = " > "

#: ChannelAttribution's column names mapped to ours.
CHANNELATTRIBUTION_COLUMNS = {
    "total_conversions": "conversions",
    "total_conversion_value": "conversion_value_usd",
    "total_null": "null_count",
}


@dataclass(frozen=True)
class PathTable:
    """Distinct paths as token lists with their counts (arrays aligned by row)."""

    paths: list[list[str]]
    conversions: np.ndarray
    conversion_value_usd: np.ndarray
    null_count: np.ndarray

    @property
    def channels(self) -> list[str]:
        """Every channel seen on any path, sorted."""
        return sorted({c for p in self.paths for c in p})

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_conversion_value_usd(self) -> float:
        return float(self.conversion_value_usd.sum())


def split_path(path: str, separator: str = PATH_SEPARATOR) -> list[str]:
    """``"a > b > c"`` -> ``["a", "b", "c"]`` (surrounding blanks stripped)."""
    return [token.strip() for token in str(path).split(separator.strip()) if token.strip()]


def collapse_repeats(tokens: list[str]) -> list[str]:
    """Drop consecutive repeats: ``[a, a, b, a]`` -> ``[a, b, a]``."""
    return [t for i, t in enumerate(tokens) if i == 0 or t != tokens[i - 1]]


def read_path_table(frame: pd.DataFrame, separator: str = PATH_SEPARATOR) -> PathTable:
    """Validate a path frame (ours or ChannelAttribution's columns) into a :class:`PathTable`."""
    frame = frame.rename(columns=CHANNELATTRIBUTION_COLUMNS)
    if "path" not in frame or "conversions" not in frame:
        raise ValueError("a path table needs the columns 'path' and 'conversions'")
    n = len(frame)
    conversions = frame["conversions"].to_numpy(dtype=float)
    value = (
        frame["conversion_value_usd"].to_numpy(dtype=float)
        if "conversion_value_usd" in frame
        else np.zeros(n)
    )
    nulls = frame["null_count"].to_numpy(dtype=float) if "null_count" in frame else np.zeros(n)
    for name, values in (("conversions", conversions), ("conversion_value_usd", value), ("null_count", nulls)):
        if np.isnan(values).any() or (values < 0).any():
            raise ValueError(f"{name} must be non-negative numbers")
    paths = [split_path(p, separator) for p in frame["path"].tolist()]
    if any(len(p) == 0 for p in paths):
        raise ValueError("empty path")
    return PathTable(paths=paths, conversions=conversions, conversion_value_usd=value, null_count=nulls)
