"""The input contract of the forecast's bring-your-own-data entry (`python -m media_impact.forecast`).

A long-format weekly file: one row per series and week, with the series id, the week,
units sold, and optionally planned spend and other known-future numeric columns. Rows
after a series' last week with units (units left empty) are its known future: planned
spend and the other known-future values for the weeks to forecast.

Rules, in order (each stops with :class:`media_impact.inputs.InputError`, naming the file
or YAML, the column, the rule and example rows; the CLI exits with code 2):

* YAML: only known keys (a misspelt key gets the closest known one suggested);
  ``data.series_column``, ``data.date_column`` and ``data.units_column`` are required;
  ``forecast.horizon_weeks`` and ``forecast.season_length_weeks`` are whole numbers >= 1;
* file: every column the YAML names exists;
* dates parse (``data.date_format`` when given), one row per series and week, no gaps;
* units are numbers in every row up to the series' last week with units (only the
  future rows after it may be empty) and never negative;
* spend and known-future columns are numbers in every row, spend never negative;
* history: every series has at least :func:`min_history_weeks` weeks of units.
"""
from __future__ import annotations

import pandas as pd

from media_impact.inputs import (InputError, check_columns_exist, check_consecutive_weeks, check_known_keys,
                                 check_not_negative, check_one_row_per_week, dates, examples, numbers)

TOP_KEYS = {"name", "data", "forecast"}
DATA_KEYS = {"path", "separator", "series_column", "date_column", "date_format", "units_column", "spend_columns",
             "future_columns", "country_column", "country_id"}
FORECAST_KEYS = {"horizon_weeks", "season_length_weeks", "backtest"}


def check_config(cfg: dict, where: str) -> None:
    """Known keys, the required mapping and whole-number settings."""
    check_known_keys(cfg, TOP_KEYS, "top level", where)
    data = cfg.get("data") or {}
    check_known_keys(data, DATA_KEYS, "data", where)
    fc = cfg.get("forecast") or {}
    if not isinstance(fc, dict):
        raise InputError(f"{where}: forecast must be a mapping, e.g. {{horizon_weeks: 13, season_length_weeks: 52}}")
    check_known_keys(fc, FORECAST_KEYS, "forecast", where)
    for key, what in (("series_column", "the series id"), ("date_column", "the week"),
                      ("units_column", "the units sold")):
        if not data.get(key):
            raise InputError(f"{where}: data.{key} is required (the column of your file that holds {what})")
    for key in ("spend_columns", "future_columns"):
        value = data.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise InputError(f"{where}: data.{key} must be a list of column names, e.g. [tv_spend, search_spend]")
    for key in ("horizon_weeks", "season_length_weeks"):
        value = fc.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InputError(f"{where}: forecast.{key} must be a whole number of weeks >= 1, not {value!r}")
    if "backtest" in fc and not isinstance(fc["backtest"], bool):
        raise InputError(f"{where}: forecast.backtest must be true or false, not {fc['backtest']!r}")


def min_history_weeks(settings: dict, backtest: bool) -> int:
    """Weeks of units every series needs. The earliest fit (the first calibration origin,
    `warmup_origins` x `step_weeks` before the backtest's first origin) must see one season
    plus one horizon of history, so that last year's units exist for its targets; with the
    backtest its `weeks` come on top."""
    season, horizon = int(settings["season_length_weeks"]), int(settings["horizon"])
    step = int(settings["backtest"]["step_weeks"])
    warmup = int(settings.get("calibration", {}).get("warmup_origins", 1))
    return season + horizon + warmup * step + (int(settings["backtest"]["weeks"]) if backtest else 0)


def _named_columns(data: dict) -> list[tuple[str, str]]:
    out = [("series_column", data["series_column"]), ("date_column", data["date_column"]),
           ("units_column", data["units_column"])]
    out += [("spend_columns", c) for c in data.get("spend_columns") or []]
    out += [("future_columns", c) for c in data.get("future_columns") or []]
    if data.get("country_column"):
        out.append(("country_column", data["country_column"]))
    return out


def check_frame(df: pd.DataFrame, data: dict, file: str, min_weeks: int) -> pd.DataFrame:
    """Validate the user's long table; return it with parsed weeks and numbers (units NaN
    in the future rows after each series' last week with units)."""
    check_columns_exist(df, _named_columns(data), file)
    out = df.copy()
    series, date, units = data["series_column"], data["date_column"], data["units_column"]
    empty_series = df[series].astype(str).str.strip() == ""
    if empty_series.any():
        raise InputError(f"{file}, column {series!r} (series_column), rule 'every row names its series': "
                         f"{int(empty_series.sum())} row(s) without one, e.g. {examples(df, empty_series, [series, date])}.")
    out[series] = df[series].astype(str).str.strip()
    out[date] = dates(df, date, data.get("date_format"), file)
    check_one_row_per_week(out, df, [date, series], file, what="series")
    order = out.sort_values([series, date], kind="mergesort").index
    has_units = df[units].astype(str).str.strip() != ""
    # the history of a series runs to its last row with units; only rows after it may be empty
    last_known = out.loc[has_units].groupby(series)[date].max()
    history = (out[date] <= out[series].map(last_known)).fillna(False).to_numpy()
    out[units] = numbers(df, units, "units_column", file, rows=history)
    check_not_negative(df, out[units].fillna(0), units, "units_column", date, file)
    for key in ("spend_columns", "future_columns"):
        for col in data.get(key) or []:
            out[col] = numbers(df, col, key, file)
            if key == "spend_columns":
                check_not_negative(df, out[col], col, key, date, file)
    out = out.loc[order]
    for name, part in out.groupby(series, sort=True):
        check_consecutive_weeks(part[date], date, file, f" for series {name!r}")
    n_hist = out.loc[out[units].notna()].groupby(series).size().reindex(out[series].unique(), fill_value=0)
    short = n_hist[n_hist < min_weeks]
    if len(short):
        eg = ", ".join(f"{s!r} ({n} weeks)" for s, n in short.head(3).items())
        raise InputError(f"{file}, column {units!r} (units_column), rule 'at least {min_weeks} weeks of history': "
                         f"{len(short)} series fall short, e.g. {eg}. The minimum is one season "
                         f"plus one horizon plus the interval calibration's origins, and the backtest's weeks "
                         f"unless --no-backtest is given (see docs/forecast.md).")
    return out.reset_index(drop=True)


def to_features(frame: pd.DataFrame, data: dict, season: int) -> pd.DataFrame:
    """The checked table in the shape of ``marts.forecast_features_weekly``: week_start,
    market_id (the series id), retailer_id ("all"), country_id (from ``country_column`` or
    ``country_id``; "all" when neither), units, the spend and known-future columns,
    and the mart's lags and rolling means."""
    from media_impact.forecast.panel import add_lag_features

    series, date, units = data["series_column"], data["date_column"], data["units_column"]
    if data.get("country_column"):
        country = frame[data["country_column"]].astype(str).str.strip()
    else:
        country = pd.Series(str(data.get("country_id") or "all"), index=frame.index)
    out = pd.DataFrame({"week_start": frame[date], "market_id": frame[series], "retailer_id": "all",
                        "country_id": country, "units": frame[units].astype(float)})
    for col in (data.get("spend_columns") or []) + (data.get("future_columns") or []):
        out[col] = frame[col].astype(float)
    out["week_of_year"] = out["week_start"].dt.isocalendar().week.astype("float64")
    return add_lag_features(out, season)


__all__ = ["InputError", "check_config", "check_frame", "min_history_weeks", "to_features"]
