"""Direct multi-horizon design: one row per (series, origin week, horizon h).

A forecast made at origin week o for target week o + h uses only what is known
at o: the origin row's units, lags and rolling means (from the SQL mart), and
the target row's known-future inputs (calendar, holiday flag, planned spend,
and units of the same week a year earlier, y[o+h-52], which is history for
h <= 52; 52 is `season_length_weeks`). One model is fitted across all series and all h (h is a feature),
so each horizon is forecast directly, never by feeding forecasts back in.

Scale-free target: y[o+h] / L_o with L_o = max(units_roll_mean_<level_window>[o], 1) (13 weeks by default); unit
inputs are divided by the same L_o, so series of any size share one model and
its quantile loss weighs every series alike (as MASE does). Quantiles are
equivariant under this positive rescaling, so q_tau(y) = L_o * q_tau(y / L_o).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ORIGIN_UNIT_COLUMNS = ["units", "units_lag_1", "units_lag_2", "units_lag_4", "units_roll_mean_4", "units_roll_mean_13", "units_roll_mean_52"]
SEASON = 52


@dataclass
class Design:
    """Feature matrix X (float32), scaled target y (NaN where unknown) and the row index."""

    X: pd.DataFrame
    y: np.ndarray
    index: pd.DataFrame  # series_id, market_id, retailer_id, country_id, origin_week, week_start, horizon, level, units

    def subset(self, mask: np.ndarray) -> "Design":
        return Design(self.X.loc[mask].reset_index(drop=True), self.y[mask], self.index.loc[mask].reset_index(drop=True))

    def training(self, mask: np.ndarray, cap: int, seed: int) -> "Design":
        """The rows of `mask` with a known target, at most `cap` of them (:func:`sample_rows`):
        the rows a fit reads, without copying the rest (at scale 100 the design has 9M rows)."""
        pos = np.flatnonzero(np.asarray(mask, bool) & ~np.isnan(self.y))
        pos = pos[sample_rows(len(pos), cap, seed)]
        return Design(self.X.iloc[pos].reset_index(drop=True), self.y[pos], self.index.iloc[pos].reset_index(drop=True))


def sample_rows(n: int, cap: int, seed: int) -> np.ndarray:
    """Positions of the training rows kept out of `n`: all, or `cap` drawn without replacement
    (seeded), in order."""
    if not cap or n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


def _shift(values: np.ndarray, series: np.ndarray, k: int) -> np.ndarray:
    """values[i - k] within the same series (NaN across series boundaries); k may be negative."""
    out = np.full(len(values), np.nan)
    n = len(values)
    if k >= 0:
        src = np.arange(n - k)
        dst = src + k
    else:
        dst = np.arange(n + k)
        src = dst - k
    same = series[src] == series[dst]
    out[dst[same]] = values[src[same]]
    return out


def build_design(panel: pd.DataFrame, horizon: int, macro_columns: list[str] | None = None,
                 level_window: int = 52, spend_columns: list[str] | None = None,
                 future_columns: list[str] | None = None, season: int = SEASON) -> Design:
    """Every (origin, h) pair, h = 1..horizon, whose origin has actual units.

    `panel` comes from `panel.prepare_panel` (sorted by series, dense weeks),
    extended with future rows when final forecasts are wanted. `season` is the
    season length in weeks ("last year" below means `season` weeks earlier);
    `future_columns` are other known-future inputs, entered as the target week's value.
    """
    season = int(season)
    codes, _ = pd.factorize(panel["series_id"], sort=False)
    units = panel["units"].to_numpy(dtype="float64")
    roll13 = panel["units_roll_mean_13"].to_numpy(dtype="float64") if "units_roll_mean_13" in panel else _rolling(units, codes, 13)
    level_col = f"units_roll_mean_{level_window}"
    roll_level = panel[level_col].to_numpy(dtype="float64") if level_col in panel else _rolling(units, codes, level_window)
    level = np.maximum(np.nan_to_num(roll_level, nan=1.0), 1.0)
    n = len(panel)

    origin_feats = {"log_level": np.log(level)}
    for col in ORIGIN_UNIT_COLUMNS:
        if col in panel:
            origin_feats[f"o_{col}"] = panel[col].to_numpy(dtype="float64") / level
    # last year's level around the origin, for year-over-year growth
    roll4 = panel["units_roll_mean_4"].to_numpy(dtype="float64") if "units_roll_mean_4" in panel else _rolling(units, codes, 4)
    origin_feats["o_roll4_last_year"] = _shift(roll4, codes, season) / level
    origin_feats["o_roll13_last_year"] = _shift(roll13, codes, season) / level
    for col in macro_columns or []:
        if col in panel:
            # year-over-year change as of the origin: stationary, unlike the level,
            # which trends out of the training range where trees cannot extrapolate
            value = panel[col].to_numpy(dtype="float64")
            origin_feats[f"o_{col}_yoy_change"] = value - _shift(value, codes, season)
            origin_feats[f"o_{col}_13w_change"] = value - _shift(value, codes, 13)
    # planned spend (known future input) relative to the series' trailing 13-week mean at the origin
    spends = {}
    for col in spend_columns if spend_columns is not None else ["planned_spend_usd"]:
        if col in panel:
            value = panel[col].to_numpy(dtype="float64")
            ref = _rolling(np.nan_to_num(value), codes, 13)
            ref[ref <= 0] = np.nan
            spends[col] = (value, ref)
    woy = panel["week_of_year"].to_numpy(dtype="float64") if "week_of_year" in panel else panel["week_start"].dt.isocalendar().week.to_numpy().astype("float64")
    hol = panel["is_holiday_week"].to_numpy(dtype="float64") if "is_holiday_week" in panel else np.zeros(n)
    retailer_code = pd.factorize(panel["retailer_id"], sort=True)[0].astype("float64")
    market_code = pd.factorize(panel["market_id"], sort=True)[0].astype("float64")
    use_market = market_code.max() < 250  # HistGradientBoosting's categorical limit

    hol_last_year = _shift(hol, codes, season)
    units_back = {k: _shift(units, codes, k) for k in (season - 1, season, season + 1)}
    roll13_last_year = _shift(roll13, codes, season)
    roll13_last_year[roll13_last_year <= 0] = np.nan
    origin_ok = ~np.isnan(units)
    blocks = []
    for h in range(1, horizon + 1):
        tgt = np.arange(n) + h
        valid = origin_ok & (tgt < n)
        valid[valid] &= codes[tgt[valid]] == codes[np.arange(n)[valid]]
        o = np.flatnonzero(valid)
        t = o + h
        lvl = level[o]
        f = {"horizon": np.full(len(o), float(h))}
        for name, arr in origin_feats.items():
            f[name] = arr[o]
        f["t_week_of_year"] = woy[t]
        f["t_is_holiday_week"] = hol[t]
        f["t_holiday_last_year"] = hol_last_year[t]
        for k, name in ((season, "t_units_last_year"), (season + 1, "t_units_last_year_m1"), (season - 1, "t_units_last_year_p1")):
            # y[t-k] is history at the origin only when t - k <= o, i.e. h <= k
            ly = units_back[k][t] / lvl
            if h > k:
                ly[:] = np.nan
            f[name] = ly
        # last year's path from the origin's level to the target week: y[t-52] / roll13[o-52]
        # (with a stable season, y[t] / L_o is close to it)
        f["t_seasonal_ratio"] = units_back[season][t] / roll13_last_year[o] if h <= season else np.full(len(o), np.nan)
        for col, (value, ref) in spends.items():
            f[f"t_{col}_ratio"] = value[t] / ref[o]
            f[f"t_{col}_ratio_lag1"] = value[t - 1] / ref[o]
        for col in future_columns or []:
            if col in panel:
                f[f"t_{col}"] = panel[col].to_numpy(dtype="float64")[t]
        f["retailer"] = retailer_code[o]
        if use_market:
            f["market"] = market_code[o]
        block = pd.DataFrame(f).astype("float32")     # each block cast on its own: the float64
        # blocks and their float64 concatenation never coexist (scale 100: 9M rows x 30 columns)
        idx = pd.DataFrame({
            "row_origin": o, "row_target": t, "horizon": h, "level": lvl,
        })
        blocks.append((block, idx))
    X = pd.concat([b for b, _ in blocks], ignore_index=True)
    rows = pd.concat([i for _, i in blocks], ignore_index=True)
    index = pd.DataFrame({
        "series_id": panel["series_id"].to_numpy()[rows["row_origin"]],
        "market_id": panel["market_id"].to_numpy()[rows["row_origin"]],
        "retailer_id": panel["retailer_id"].to_numpy()[rows["row_origin"]],
        "country_id": panel["country_id"].to_numpy()[rows["row_origin"]],
        "origin_week": panel["week_start"].to_numpy()[rows["row_origin"]],
        "week_start": panel["week_start"].to_numpy()[rows["row_target"]],
        "horizon": rows["horizon"].to_numpy(),
        "level": rows["level"].to_numpy(),
        "units": units[rows["row_target"]],
        "units_last_year": units_back[season][rows["row_target"]],
        "units_at_origin": units[rows["row_origin"]],
    })
    return Design(X, index["units"].to_numpy() / index["level"].to_numpy(), index)


def _rolling(values: np.ndarray, codes: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over the current and window-1 preceding rows of the same series (NaN-aware)."""
    s = pd.Series(values)
    return s.groupby(codes).transform(lambda x: x.rolling(window, min_periods=1).mean()).to_numpy()
