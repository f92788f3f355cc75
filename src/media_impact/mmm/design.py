"""Panel data container and the calendar controls (trend, yearly Fourier terms)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd


@dataclass
class PanelData:
    """Weekly data for one model: ``G`` series (one national series, or markets).

    ``y``: (G, T) revenue in USD; ``spend``: (G, T, C) media spend in USD;
    ``controls``: (G, T, K) control variables (holiday flags, macro, events...).
    Calendar controls (trend, Fourier) are added by the model from ``weeks``.
    """

    weeks: np.ndarray
    groups: list
    group_country: list
    channels: list
    y: np.ndarray
    spend: np.ndarray
    controls: np.ndarray
    control_names: list = field(default_factory=list)
    group_size: np.ndarray | None = None  # e.g. population: scale series by size, not mean
    # optional split of each series' KPI into parts (retailers): split_y (G, T, R) in USD,
    # split_names (R,), channel_split {channel_id: part a channel acts on mostly}
    split_y: np.ndarray | None = None
    split_names: list = field(default_factory=list)
    channel_split: dict = field(default_factory=dict)

    @property
    def n_weeks(self) -> int:
        return len(self.weeks)

    def fingerprint(self) -> str:
        """SHA-256 over the exact numbers and labels the model sees (first 16 hex)."""
        h = hashlib.sha256()
        for part in (self.y, self.spend, self.controls) + (() if self.split_y is None else (self.split_y,)):
            h.update(np.ascontiguousarray(part, dtype=np.float64).tobytes())
        h.update("|".join(map(str, self.weeks)).encode())
        for labels in (self.groups, self.group_country, self.channels, self.control_names, self.split_names,
                       sorted(self.channel_split.items())):
            h.update("|".join(map(str, labels)).encode())
        return h.hexdigest()[:16]

    def subset_weeks(self, n: int) -> "PanelData":
        """The first ``n`` weeks (for time-ordered cross-validation)."""
        return replace(self, weeks=self.weeks[:n], y=self.y[:, :n], spend=self.spend[:, :n],
                       controls=self.controls[:, :n],
                       split_y=None if self.split_y is None else self.split_y[:, :n])

    def with_y(self, y: np.ndarray) -> "PanelData":
        """Other KPI values (bootstrap); a split, if any, is kept as observed."""
        return replace(self, y=y)

    def scales(self) -> tuple[np.ndarray, np.ndarray]:
        """Revenue scale per series (G,) and spend scale per series and channel (G, C).

        Without ``group_size``: each series' own mean revenue and mean weekly spend.
        With it (population): ``size_g`` times the pooled per-capita mean, so every
        market's spend is read per capita and saturates at the same per-capita level.
        """
        if self.group_size is None:
            ys = self.y.mean(axis=1)
            sc = self.spend.mean(axis=1)
        else:
            size = np.asarray(self.group_size, dtype=float)
            ys = size * self.y.sum() / size.sum() / self.n_weeks
            sc = size[:, None] * self.spend.sum(axis=(0, 1))[None, :] / size.sum() / self.n_weeks
        return ys, np.where(sc > 0, sc, 1.0)


def calendar_controls(weeks: np.ndarray, fourier_order: int = 2, trend: str = "linear",
                      t_ref: int | None = None) -> tuple[np.ndarray, list]:
    """Trend and yearly seasonality columns for the given weeks.

    * trend ``linear``: ``t / t_ref`` (t = week number from 0); ``none``: no column.
      ``t_ref`` is fixed by the training data so a fold's test weeks extrapolate.
    * yearly Fourier terms ``sin(2 pi k d / 365.25)``, ``cos(2 pi k d / 365.25)``
      for ``k = 1..fourier_order`` where ``d`` = day of year of the week start.
    """
    weeks = pd.to_datetime(pd.Series(weeks))
    n = len(weeks)
    t_ref = t_ref or max(n - 1, 1)
    cols, names = [], []
    if trend == "linear":
        cols.append(np.arange(n, dtype=float) / t_ref)
        names.append("trend")
    elif trend != "none":
        raise ValueError(f"unknown trend {trend!r}")
    doy = weeks.dt.dayofyear.to_numpy(dtype=float)
    for k in range(1, fourier_order + 1):
        ang = 2.0 * np.pi * k * doy / 365.25
        cols += [np.sin(ang), np.cos(ang)]
        names += [f"season_sin_{k}", f"season_cos_{k}"]
    if not cols:
        return np.zeros((n, 0)), []
    return np.column_stack(cols), names
