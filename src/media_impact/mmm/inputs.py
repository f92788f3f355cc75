"""The input contract of bring-your-own-data: check a config and its file before fitting.

Every rule that fails raises :class:`InputError` with one paragraph naming the file
(or the YAML), the column, the rule and example rows; the CLI prints it and exits
with code 2. Rules, in order:

* YAML: only known keys (a misspelt key gets the closest known one suggested);
  ``data.date_column``, ``data.kpi_column`` and a non-empty ``data.spend_columns``;
* file: every column the YAML names exists (the file's columns are listed);
* numbers: the KPI, spend, control and population columns are numbers in every row
  (no text such as ``$587,128.55`` or ``n/a``, no empty cells);
* dates: every date parses, with ``data.date_format`` (e.g. ``"%d/%m/%Y"``) when given;
  without it, ISO dates (``2024-01-29``) are read as they are and slash dates whose
  day and month could be swapped are refused as ambiguous;
* weeks: one row per week (and per group, with ``group_column``), 7 days apart, no gaps;
* spend: never negative; every mapped channel spends in some week;
* history: at least :data:`MIN_WEEKS` weeks (a yearly season and carryover need a
  year to be told apart from media).
"""
from __future__ import annotations

import pandas as pd

from media_impact.inputs import (InputError, check_columns_exist, check_consecutive_weeks, check_known_keys, examples,
                                 check_not_negative, check_one_row_per_week, dates, numbers)

__all__ = ["InputError", "MIN_WEEKS", "check_config", "check_frame"]

MIN_WEEKS = 52
TOP_KEYS = {"name", "data", "scopes", "preferred_scope", "share_curves", "model", "candidates", "cv",
            "cv_panel", "bootstrap", "bootstrap_all_scopes", "planning", "priors", "sampler", "calibration", "panel"}
DATA_KEYS = {"path", "separator", "date_column", "date_format", "kpi_column", "group_column", "country_column",
             "country_id", "population_column", "spend_columns", "controls", "categorical_controls",
             "split_columns", "channel_splits", "currency"}
# your own lift tests (calibration: {path: lifts.csv}): one row per experiment
CALIBRATION_COLUMNS = ("experiment_id", "channel_id", "test_start_date", "test_end_date",
                       "incremental_revenue_usd", "incremental_revenue_se_usd")


def check_calibration(df: pd.DataFrame, channels: list, file: str, weeks=None) -> pd.DataFrame:
    """A lift-test file: the columns of :data:`CALIBRATION_COLUMNS` (``spend_change_usd``,
    ``country_id`` optional), dates that parse, numbers, a positive standard error, a
    channel the config maps and a test window inside the data's weeks (``weeks``).
    Returns it typed for :func:`pipeline.experiments_from_table`."""
    check_columns_exist(df, [(c, c) for c in CALIBRATION_COLUMNS], file)
    out = df.copy()
    for col in ("test_start_date", "test_end_date"):
        out[col] = dates(df, col, None, file)
    for col in ("incremental_revenue_usd", "incremental_revenue_se_usd") + (
            ("spend_change_usd",) if "spend_change_usd" in df.columns else ()):
        out[col] = numbers(df, col, col, file)
    bad = ~out["channel_id"].isin(channels)
    if bad.any():
        raise InputError(f"{file}: column channel_id, rule: a channel of data.spend_columns "
                         f"({', '.join(channels)}); " + examples(df, bad, ["experiment_id", "channel_id"]))
    if weeks is not None and len(weeks):
        first, last = pd.Timestamp(min(weeks)), pd.Timestamp(max(weeks)) + pd.Timedelta(days=6)
        bad = (out["test_start_date"] < first) | (out["test_end_date"] > last) | (
            out["test_end_date"] < out["test_start_date"])
        if bad.any():
            raise InputError(f"{file}: columns test_start_date/test_end_date, rule: a test window inside the "
                             f"data's weeks ({first.date()} to {last.date()}); "
                             + examples(df, bad, ["experiment_id", "test_start_date", "test_end_date"]))
    bad = ~(out["incremental_revenue_se_usd"] > 0)
    if bad.any():
        raise InputError(f"{file}: column incremental_revenue_se_usd, rule: a positive standard error; "
                         + examples(df, bad, ["experiment_id", "incremental_revenue_se_usd"]))
    return out


def check_config(cfg: dict, where: str) -> None:
    """Known keys and the required mapping."""
    check_known_keys(cfg, TOP_KEYS, "top level", where)
    check_known_keys(cfg.get("data") or {}, DATA_KEYS, "data", where)
    data = cfg.get("data") or {}
    for key in ("date_column", "kpi_column", "spend_columns"):
        if not data.get(key):
            raise InputError(f"{where}: data.{key} is required (the column(s) of your file that hold "
                             + {"date_column": "the week", "kpi_column": "the revenue or KPI",
                                "spend_columns": "each channel's spend, as channel: column"}[key] + ")")
    if not isinstance(data["spend_columns"], dict):
        raise InputError(f"{where}: data.spend_columns must map channel names to columns, "
                         f"e.g. {{tv: tv_spend, search: search_spend}}")


def _named_columns(mapping: dict) -> list[tuple[str, str]]:
    """(YAML key, column) pairs the mapping names."""
    out = [("date_column", mapping["date_column"]), ("kpi_column", mapping["kpi_column"])]
    out += [(f"spend_columns.{ch}", col) for ch, col in mapping["spend_columns"].items()]
    out += [("controls", c) for c in mapping.get("controls") or []]
    out += [("categorical_controls", s["column"]) for s in mapping.get("categorical_controls") or []]
    for key in ("group_column", "country_column", "population_column"):
        if mapping.get(key):
            out.append((key, mapping[key]))
    out += [(f"split_columns.{p}", col) for p, col in (mapping.get("split_columns") or {}).items()]
    return out


def check_frame(df: pd.DataFrame, mapping: dict, file: str) -> pd.DataFrame:
    """Validate the user's table against the mapping; return it with parsed dates and
    numbers (ready for :func:`media_impact.mmm.data.panel_from_frame`)."""
    check_columns_exist(df, _named_columns(mapping), file)
    out = df.copy()
    date = mapping["date_column"]
    out[date] = dates(df, date, mapping.get("date_format"), file)
    out[mapping["kpi_column"]] = numbers(df, mapping["kpi_column"], "kpi_column", file)
    for ch, col in mapping["spend_columns"].items():
        out[col] = numbers(df, col, f"spend_columns.{ch}", file)
        check_not_negative(df, out[col], col, f"spend_columns.{ch}", date, file)
    for key, col in _named_columns(mapping):
        if key in ("controls", "population_column") or key.startswith("split_columns."):
            out[col] = numbers(df, col, key, file)
    keys = [date] + ([mapping["group_column"]] if mapping.get("group_column") else [])
    check_one_row_per_week(out, df, keys, file)
    groups = out.groupby(keys[1:]) if len(keys) > 1 else [(None, out)]
    for g, part in groups:
        weeks = part[date]
        check_consecutive_weeks(weeks, date, file, "" if g is None else f" for {keys[1]} {g!r}")
        if len(weeks) < MIN_WEEKS:
            label = "" if g is None else f" ({keys[1]} {g!r})"
            raise InputError(f"{file}{label}: {len(weeks)} weeks of history, fewer than the {MIN_WEEKS} the MMM "
                             "needs to tell a yearly season and carryover from media (104 or more recommended).")
    for ch, col in mapping["spend_columns"].items():
        if not (out[col] > 0).any():
            raise InputError(f"{file}, column {col!r} (spend_columns.{ch}), rule 'a channel spends in some week': "
                             "it is zero in every row; remove it from spend_columns.")
    return out
