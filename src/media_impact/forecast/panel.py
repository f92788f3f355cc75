"""The forecast panel: the SQL feature mart as a dense weekly grid per series.

Input is `marts.forecast_features_weekly` (grain week_start, market_id,
retailer_id). A series is one market x retailer. Rows past the last week with
actuals (null units) are known-future rows: calendar, holidays and planned
spend. When the mart stops at the last actual week, `extend_future` adds the
missing future rows from the calendar and last year's rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SERIES_KEYS = ["market_id", "retailer_id"]
REQUIRED = ["week_start", "market_id", "retailer_id", "country_id", "units"]


def prepare_panel(features: pd.DataFrame) -> pd.DataFrame:
    """Sorted copy with `series_id`, typed columns and a dense weekly grid per series.

    Raises ValueError when a required column is missing or a series skips a week
    (the lag arithmetic of the direct model relies on one row per week). The country
    comes from the table's country_id column, never from the shape of a market id.
    """
    missing = [c for c in REQUIRED if c not in features.columns]
    if missing:
        raise ValueError(f"feature table lacks columns {missing}")
    panel = features.copy()
    panel.columns = [c.lower() for c in panel.columns]
    panel["week_start"] = pd.to_datetime(panel["week_start"]).dt.tz_localize(None).astype("datetime64[ns]")
    keys = {"week_start", "market_id", "retailer_id", "country_id"}
    for col in [c for c in panel.columns if c not in keys]:
        values = panel[col]
        if pd.api.types.is_bool_dtype(values) or isinstance(values.dtype, pd.BooleanDtype):
            panel[col] = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        elif pd.api.types.is_numeric_dtype(values):
            panel[col] = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        else:
            panel = panel.drop(columns=col)  # text columns (e.g. holiday_name) are not model inputs
    panel["series_id"] = panel["market_id"].astype(str) + "|" + panel["retailer_id"].astype(str)
    panel = panel.sort_values(["series_id", "week_start"], kind="mergesort").reset_index(drop=True)
    if panel.duplicated(["series_id", "week_start"]).any():
        raise ValueError("feature table has duplicate (week_start, market_id, retailer_id) rows")
    gaps = panel.groupby("series_id", sort=False)["week_start"].diff().dropna()
    if len(gaps) and (gaps != pd.Timedelta(weeks=1)).any():
        raise ValueError("feature table is not a dense weekly grid per series")
    return panel


def last_actual_week(panel: pd.DataFrame) -> pd.Timestamp:
    """The latest week for which every series has actual units (the backtest's common end)."""
    return series_last_weeks(panel).min()


def series_last_weeks(panel: pd.DataFrame) -> pd.Series:
    """Per series_id: its last week with actual units (its own forecast origin)."""
    return panel.loc[panel["units"].notna()].groupby("series_id")["week_start"].max()


def extend_future(panel: pd.DataFrame, horizon: int, fill_columns: list[str] | None = None,
                  season: int = 52) -> pd.DataFrame:
    """Panel with rows up to `horizon` weeks past each series' own last actual week.

    Existing future rows (from the mart or the user's file) are kept; rows further out
    are dropped. Added rows get the calendar of their date, the holiday flag of the same
    week a season earlier, and, for each of `fill_columns` (planned spend and other
    known-future inputs; default ``planned_spend_usd``), the series' mean over its last 13
    actual weeks. :func:`missing_future_weeks` tells how many rows a call would add.
    """
    last = series_last_weeks(panel)
    target = panel["series_id"].map(last + pd.Timedelta(weeks=horizon))
    panel = panel.loc[panel["week_start"] <= target]
    need = missing_future_weeks(panel, horizon)
    need = need[need > 0]
    if need.empty:
        return panel.reset_index(drop=True)
    static = panel.drop_duplicates("series_id", keep="last").set_index("series_id")[
        ["market_id", "retailer_id", "country_id"]
    ]
    have = panel.groupby("series_id")["week_start"].max()
    added = []
    for series_id in need.index:
        weeks = pd.date_range(have[series_id] + pd.Timedelta(weeks=1), last[series_id] + pd.Timedelta(weeks=horizon), freq="7D")
        rows = pd.DataFrame({"week_start": weeks, "series_id": series_id})
        for key in ("market_id", "retailer_id", "country_id"):
            rows[key] = static.at[series_id, key]
        added.append(rows)
    added = pd.concat(added, ignore_index=True)
    added["units"] = np.nan
    added["week_of_year"] = added["week_start"].dt.isocalendar().week.astype("float64")
    hist = panel.set_index(["series_id", "week_start"])
    if "is_holiday_week" in panel.columns:
        ly = pd.MultiIndex.from_arrays([added["series_id"], added["week_start"] - pd.Timedelta(weeks=season)])
        added["is_holiday_week"] = hist["is_holiday_week"].reindex(ly).to_numpy()
    fill = ["planned_spend_usd"] if fill_columns is None else fill_columns
    recent = panel.loc[panel["units"].notna() & (panel["week_start"] > panel["series_id"].map(last) - pd.Timedelta(weeks=13))]
    for col in [c for c in fill if c in panel.columns]:
        added[col] = added["series_id"].map(recent.groupby("series_id")[col].mean())
    out = pd.concat([panel, added], ignore_index=True)
    return out.sort_values(["series_id", "week_start"], kind="mergesort").reset_index(drop=True)


def missing_future_weeks(panel: pd.DataFrame, horizon: int) -> pd.Series:
    """Per series_id: how many of the `horizon` weeks after its last actual week have no row."""
    last = series_last_weeks(panel)
    ahead = panel.loc[panel["units"].isna() & (panel["week_start"] > panel["series_id"].map(last))]
    have = ahead.groupby("series_id").size().reindex(last.index, fill_value=0)
    return (horizon - have).clip(lower=0)


def add_lag_features(frame: pd.DataFrame, season: int = 52) -> pd.DataFrame:
    """units_lag_1/2/4/<season> and units_roll_mean_4/13/52 per market x retailer, as the SQL
    mart defines them (lags of units; means over the current and preceding weeks)."""
    frame = frame.sort_values(["market_id", "retailer_id", "week_start"]).reset_index(drop=True)
    grouped = frame.groupby(["market_id", "retailer_id"], sort=False)["units"]
    for lag in sorted({1, 2, 4, season}):
        frame[f"units_lag_{lag}"] = grouped.shift(lag)
    for window in (4, 13, 52):
        frame[f"units_roll_mean_{window}"] = grouped.transform(lambda s: s.rolling(window, min_periods=1).mean())
    return frame
