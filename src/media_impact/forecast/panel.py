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
REQUIRED = ["week_start", "market_id", "retailer_id", "units"]


def prepare_panel(features: pd.DataFrame) -> pd.DataFrame:
    """Sorted copy with `series_id`, typed columns and a dense weekly grid per series.

    Raises ValueError when a required column is missing or a series skips a week
    (the lag arithmetic of the direct model relies on one row per week).
    """
    missing = [c for c in REQUIRED if c not in features.columns]
    if missing:
        raise ValueError(f"feature table lacks columns {missing}")
    panel = features.copy()
    panel.columns = [c.lower() for c in panel.columns]
    panel["week_start"] = pd.to_datetime(panel["week_start"]).dt.tz_localize(None).astype("datetime64[ns]")
    if "country_id" not in panel.columns:
        panel["country_id"] = panel["market_id"].astype(str).str.split("_").str[0]
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
    """The latest week for which every series has actual units."""
    known = panel.loc[panel["units"].notna()].groupby("series_id")["week_start"].max()
    return known.min()


def extend_future(panel: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Panel with rows up to `horizon` weeks past the last actual week for every series.

    Existing future rows (from the mart) are kept. Added rows get the calendar of
    their date, the holiday flag of the same week a year earlier, and planned
    spend equal to the series' mean over its last 13 actual weeks.
    """
    end = last_actual_week(panel)
    panel = panel.loc[panel["week_start"] <= end + pd.Timedelta(weeks=horizon)]
    have = panel.groupby("series_id")["week_start"].max()
    target = end + pd.Timedelta(weeks=horizon)
    need = have[have < target]
    if need.empty:
        return panel.reset_index(drop=True)
    static = panel.drop_duplicates("series_id", keep="last").set_index("series_id")[
        ["market_id", "retailer_id", "country_id"]
    ]
    added = []
    for series_id, last in need.items():
        weeks = pd.date_range(last + pd.Timedelta(weeks=1), target, freq="7D")
        rows = pd.DataFrame({"week_start": weeks, "series_id": series_id})
        for key in ("market_id", "retailer_id", "country_id"):
            rows[key] = static.at[series_id, key]
        added.append(rows)
    added = pd.concat(added, ignore_index=True)
    added["units"] = np.nan
    added["week_of_year"] = added["week_start"].dt.isocalendar().week.astype("float64")
    hist = panel.set_index(["series_id", "week_start"])
    if "is_holiday_week" in panel.columns:
        ly = pd.MultiIndex.from_arrays([added["series_id"], added["week_start"] - pd.Timedelta(weeks=52)])
        added["is_holiday_week"] = hist["is_holiday_week"].reindex(ly).to_numpy()
    if "planned_spend_usd" in panel.columns:
        recent = panel.loc[panel["units"].notna() & (panel["week_start"] > end - pd.Timedelta(weeks=13))]
        added["planned_spend_usd"] = added["series_id"].map(recent.groupby("series_id")["planned_spend_usd"].mean())
    out = pd.concat([panel, added], ignore_index=True)
    return out.sort_values(["series_id", "week_start"], kind="mergesort").reset_index(drop=True)
