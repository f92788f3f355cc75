"""The generic rules of the bring-your-own-data input contract, shared by the MMM
(:mod:`media_impact.mmm.inputs`) and the forecast (:mod:`media_impact.forecast.inputs`).

Every rule that fails raises :class:`InputError` with one paragraph naming the file
(or the YAML), the column, the rule and example rows; each CLI prints it and exits
with code 2. Row numbers are the file's line numbers (the header is line 1).
"""
from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd


class InputError(ValueError):
    """A user's input breaks the contract; the message says where and how."""


def examples(df: pd.DataFrame, mask, columns: list, n: int = 3) -> str:
    """Up to `n` rows where `mask` holds, as ``row <line>: col='value', ...``."""
    rows = df.loc[np.asarray(mask)].head(n)
    parts = []
    for idx, r in rows.iterrows():
        cells = ", ".join(f"{c}={r[c]!r}" for c in columns if c in r.index)
        parts.append(f"row {idx + 2}: {cells}")      # +2: the header is line 1, rows count from 0
    return "; ".join(parts)


def check_known_keys(keys, known: set, section: str, where: str) -> None:
    """Every key is a known one; a misspelt key gets the closest known one suggested."""
    for key in sorted(set(keys) - known):
        near = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f"; known keys: {', '.join(sorted(known))}"
        raise InputError(f"{where}: unknown key {key!r} in {section}{hint}")


def check_columns_exist(df: pd.DataFrame, named: list[tuple[str, str]], file: str) -> None:
    """Every (YAML key, column) pair names a column of the file."""
    missing = [(k, c) for k, c in named if c not in df.columns]
    if missing:
        listed = ", ".join(f"{c!r} ({k})" for k, c in missing)
        raise InputError(f"{file}: column(s) named in the YAML but not in the file: {listed}. "
                         f"The file has: {', '.join(map(repr, df.columns))}.")


def numbers(df: pd.DataFrame, col: str, key: str, file: str, rows=None) -> pd.Series:
    """The column as floats; text or empty cells (among `rows`, all rows by default) stop with
    the rows named. Cells outside `rows` may be empty (NaN)."""
    raw = df[col]
    num = pd.to_numeric(raw.where(raw.astype(str).str.strip() != ""), errors="coerce")
    bad = num.isna() if rows is None else (num.isna() & np.asarray(rows))
    if bad.any():
        empty = raw[bad].isna() | (raw[bad].astype(str).str.strip() == "")
        what = "empty cells" if empty.all() else "text where a number is expected"
        raise InputError(f"{file}, column {col!r} ({key}), rule 'a number in every row': {int(bad.sum())} row(s) "
                         f"with {what}, e.g. {examples(df, bad, [col])}. Write plain numbers "
                         f"(no currency signs, thousands separators or 'n/a').")
    return num.astype(float)


def dates(df: pd.DataFrame, col: str, fmt: str | None, file: str) -> pd.Series:
    """The column parsed as dates: with `fmt` when given; otherwise ISO dates, or slash dates whose
    day and month cannot be swapped (an ambiguous one asks for ``data.date_format``)."""
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
                                 f"day and month could be either way round, e.g. {examples(df, slash, [col])}. "
                                 "Set data.date_format, e.g. '%d/%m/%Y' or '%m/%d/%Y'.")
            fmt = "%d/%m/%Y" if (parts[0] > 12).any() else "%m/%d/%Y"
            parsed = pd.to_datetime(raw.str.replace(r"[.-]", "/", regex=True), format=fmt, errors="coerce")
        else:
            parsed = pd.to_datetime(raw.where(iso), format="ISO8601", errors="coerce")
        rule = "a date (ISO 2024-01-29, or set data.date_format)"
    bad = parsed.isna()
    if bad.any():
        raise InputError(f"{file}, column {col!r} (date_column), rule {rule!r}: {int(bad.sum())} row(s) do not "
                         f"parse, e.g. {examples(df, bad, [col])}.")
    return parsed


def check_not_negative(df: pd.DataFrame, values: pd.Series, col: str, key: str, date: str, file: str) -> None:
    neg = values < 0
    if neg.any():
        raise InputError(f"{file}, column {col!r} ({key}), rule 'spend is never negative': "
                         f"{int(neg.sum())} row(s), e.g. {examples(df, neg, [date, col])}.")


def check_one_row_per_week(out: pd.DataFrame, df: pd.DataFrame, keys: list[str], file: str, what: str = "group") -> None:
    """No two rows share (week, group); `keys` = [date column, group column(s)...]."""
    dup = out.duplicated(keys, keep=False)
    if dup.any():
        raise InputError(f"{file}, column {keys[0]!r}, rule 'one row per week"
                         + (f" and {what}" if len(keys) > 1 else "") + f"': {int(dup.sum())} rows share a week, "
                         f"e.g. {examples(df, dup, keys)}. Sum or drop the duplicates.")


def check_consecutive_weeks(weeks: pd.Series, date: str, file: str, label: str = "") -> None:
    """Sorted weeks step by exactly 7 days (`label` names the group, e.g. " for series 'a'")."""
    weeks = weeks.sort_values()
    step = weeks.diff().dt.days.iloc[1:]
    off = step != 7
    if off.any():
        i = int(np.flatnonzero(off.to_numpy())[0])
        a, b = weeks.iloc[i], weeks.iloc[i + 1]
        raise InputError(f"{file}, column {date!r}, rule 'consecutive weeks, 7 days apart'{label}: "
                         f"{a.date()} is followed by {b.date()} ({(b - a).days} days); "
                         f"{int(off.sum())} such step(s). Every week needs a row (zero spend is a value).")


def read_csv_text(path: Path, separator: str = ",") -> pd.DataFrame:
    """Every cell as written (text), so 'n/a' is reported as text and not read as missing."""
    try:
        return pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: cannot be read as CSV: {str(exc).splitlines()[0]}") from None


def read_yaml(config_path) -> dict:
    """The YAML mapping; a missing file or invalid YAML is an InputError. A relative
    ``data.path`` is resolved against the config's folder."""
    import yaml

    path = Path(config_path)
    if not path.exists():
        raise InputError(f"config file not found: {config_path}")
    try:
        cfg = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{config_path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(cfg, dict):
        raise InputError(f"{config_path}: the YAML must be a mapping of keys (data:, forecast:, ...)")
    data = cfg.get("data") or {}
    if not isinstance(data, dict):
        raise InputError(f"{config_path}: data must be a mapping (data: {{path: ..., date_column: ...}})")
    if data.get("path") and not Path(str(data["path"])).is_absolute():
        data["path"] = str((path.parent / str(data["path"])).resolve())
    cfg["data"] = data
    cfg.setdefault("name", path.stem)
    return cfg
