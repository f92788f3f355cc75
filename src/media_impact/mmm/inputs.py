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

import difflib

import numpy as np
import pandas as pd

MIN_WEEKS = 52
TOP_KEYS = {"name", "data", "scopes", "preferred_scope", "share_curves", "model", "candidates", "cv",
            "cv_panel", "bootstrap", "bootstrap_all_scopes", "planning", "priors", "sampler"}
DATA_KEYS = {"path", "separator", "date_column", "date_format", "kpi_column", "group_column", "country_column",
             "country_id", "population_column", "spend_columns", "controls", "categorical_controls",
             "split_columns", "channel_splits"}


class InputError(ValueError):
    """A user's input breaks the contract; the message says where and how."""


def _examples(df: pd.DataFrame, mask, columns: list, n: int = 3) -> str:
    rows = df.loc[np.asarray(mask)].head(n)
    parts = []
    for idx, r in rows.iterrows():
        cells = ", ".join(f"{c}={r[c]!r}" for c in columns if c in r.index)
        parts.append(f"row {idx + 2}: {cells}")      # +2: the header is line 1, rows count from 0
    return "; ".join(parts)


def check_config(cfg: dict, where: str) -> None:
    """Known keys and the required mapping."""
    for keys, known, section in ((set(cfg), TOP_KEYS, "top level"),
                                 (set(cfg.get("data") or {}), DATA_KEYS, "data")):
        for key in sorted(keys - known):
            near = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known keys: {', '.join(sorted(known))}"
            raise InputError(f"{where}: unknown key {key!r} in {section}{hint}")
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


def _numbers(df: pd.DataFrame, col: str, key: str, file: str) -> pd.Series:
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna()
    if bad.any():
        empty = raw[bad].isna() | (raw[bad].astype(str).str.strip() == "")
        what = "empty cells" if empty.all() else "text where a number is expected"
        raise InputError(f"{file}, column {col!r} ({key}), rule 'a number in every row': {int(bad.sum())} row(s) "
                         f"with {what}, e.g. {_examples(df, bad, [col])}. Write plain numbers "
                         f"(no currency signs, thousands separators or 'n/a').")
    return num.astype(float)


def _dates(df: pd.DataFrame, col: str, fmt: str | None, file: str) -> pd.Series:
    raw = df[col].astype(str).str.strip()
    if fmt:
        parsed = pd.to_datetime(raw, format=fmt, errors="coerce")
        rule = f"a date in format {fmt!r}"
    else:
        iso = raw.str.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?")
        slash = raw.str.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}")
        if slash.any():
            parts = raw[slash].str.split(r"[/.-]", expand=True).astype(int)
            if (parts[0] <= 12).all() and (parts[1] <= 12).all():
                raise InputError(f"{file}, column {col!r} (date_column), rule 'an unambiguous date': "
                                 f"day and month could be either way round, e.g. {_examples(df, slash, [col])}. "
                                 "Set data.date_format, e.g. '%d/%m/%Y' or '%m/%d/%Y'.")
            fmt = "%d/%m/%Y" if (parts[0] > 12).any() else "%m/%d/%Y"
            parsed = pd.to_datetime(raw.str.replace(r"[.-]", "/", regex=True), format=fmt, errors="coerce")
        else:
            parsed = pd.to_datetime(raw.where(iso), format="ISO8601", errors="coerce")
        rule = "a date (ISO 2024-01-29, or set data.date_format)"
    bad = parsed.isna()
    if bad.any():
        raise InputError(f"{file}, column {col!r} (date_column), rule {rule!r}: {int(bad.sum())} row(s) do not "
                         f"parse, e.g. {_examples(df, bad, [col])}.")
    return parsed


def check_frame(df: pd.DataFrame, mapping: dict, file: str) -> pd.DataFrame:
    """Validate the user's table against the mapping; return it with parsed dates and
    numbers (ready for :func:`media_impact.mmm.data.panel_from_frame`)."""
    missing = [(k, c) for k, c in _named_columns(mapping) if c not in df.columns]
    if missing:
        listed = ", ".join(f"{c!r} ({k})" for k, c in missing)
        raise InputError(f"{file}: column(s) named in the YAML but not in the file: {listed}. "
                         f"The file has: {', '.join(map(repr, df.columns))}.")
    out = df.copy()
    date = mapping["date_column"]
    out[date] = _dates(df, date, mapping.get("date_format"), file)
    out[mapping["kpi_column"]] = _numbers(df, mapping["kpi_column"], "kpi_column", file)
    for ch, col in mapping["spend_columns"].items():
        out[col] = _numbers(df, col, f"spend_columns.{ch}", file)
        neg = out[col] < 0
        if neg.any():
            raise InputError(f"{file}, column {col!r} (spend_columns.{ch}), rule 'spend is never negative': "
                             f"{int(neg.sum())} row(s), e.g. {_examples(df, neg, [date, col])}.")
    for key, col in _named_columns(mapping):
        if key in ("controls", "population_column") or key.startswith("split_columns."):
            out[col] = _numbers(df, col, key, file)
    keys = [date] + ([mapping["group_column"]] if mapping.get("group_column") else [])
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        raise InputError(f"{file}, column {date!r}, rule 'one row per week"
                         + (" and group" if len(keys) > 1 else "") + f"': {int(dup.sum())} rows share a week, "
                         f"e.g. {_examples(df, dup, keys)}. Sum or drop the duplicates.")
    groups = out.groupby(keys[1:]) if len(keys) > 1 else [(None, out)]
    for g, part in groups:
        weeks = part[date].sort_values()
        step = weeks.diff().dt.days.iloc[1:]
        off = step != 7
        if off.any():
            i = int(np.flatnonzero(off.to_numpy())[0])
            a, b = weeks.iloc[i], weeks.iloc[i + 1]
            label = "" if g is None else f" for {keys[1]} {g!r}"
            raise InputError(f"{file}, column {date!r}, rule 'consecutive weeks, 7 days apart'{label}: "
                             f"{a.date()} is followed by {b.date()} ({(b - a).days} days); "
                             f"{int(off.sum())} such step(s). Every week needs a row (zero spend is a value).")
        if len(weeks) < MIN_WEEKS:
            label = "" if g is None else f" ({keys[1]} {g!r})"
            raise InputError(f"{file}{label}: {len(weeks)} weeks of history, fewer than the {MIN_WEEKS} the MMM "
                             "needs to tell a yearly season and carryover from media (104 or more recommended).")
    for ch, col in mapping["spend_columns"].items():
        if not (out[col] > 0).any():
            raise InputError(f"{file}, column {col!r} (spend_columns.{ch}), rule 'a channel spends in some week': "
                             "it is zero in every row; remove it from spend_columns.")
    return out
