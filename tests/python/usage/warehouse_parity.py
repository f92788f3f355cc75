"""Row-by-row comparison of one table built on two warehouses (pytest helper).

Both frames are sorted on every non-float column (keys, text, dates, integers), then
compared: the same rows and keys exactly, every float column within
``abs(a - b) <= ABS_TOL + REL_TOL * abs(b)``. Timing columns (wall-clock facts of a
run) and bookkeeping columns (fingerprints, reuse) are left out. Returns the largest
absolute and relative difference per column, so the test can report how close the two
builds are, not only whether they pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TIMING = {"fit_seconds", "fit_cpu_seconds", "run_at"}   # as tests/python/usage/test_determinism.py
# what a build did, not what it found: an input fingerprint hashes each warehouse's own
# frames (their dtypes differ), and reuse says whether that warehouse had fitted before
BOOKKEEPING = {"input_fingerprint", "fit_status", "reuse_count", "predictions_status"}
REL_TOL = 1e-12
ABS_TOL = 1e-9


@dataclass
class Parity:
    table: str
    problems: list[str] = field(default_factory=list)
    max_abs: dict[str, float] = field(default_factory=dict)
    max_rel: dict[str, float] = field(default_factory=dict)


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.rename(columns=str.lower)
    out = out[[c for c in out.columns if c not in TIMING | BOOKKEEPING]]
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.astype("datetime64[us]")
        elif pd.api.types.is_bool_dtype(s):
            out[c] = s.astype("boolean")
        elif pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s):
            out[c] = s.astype("float64") if pd.api.types.is_float_dtype(s) else s.astype("Int64")
        else:
            out[c] = s.astype("object").where(s.notna(), None).map(lambda v: None if v is None else str(v))
    return out


def compare(table: str, actual: pd.DataFrame, expected: pd.DataFrame) -> Parity:
    """``actual`` (e.g. PostgreSQL) against ``expected`` (DuckDB)."""
    result = Parity(table)
    a, e = _normalised(actual), _normalised(expected)
    if set(a.columns) != set(e.columns):
        result.problems.append(f"{table}: columns differ {sorted(set(a.columns) ^ set(e.columns))}")
        return result
    if len(a) != len(e):
        result.problems.append(f"{table}: {len(a)} rows against {len(e)}")
        return result
    floats = [c for c in e.columns if pd.api.types.is_float_dtype(e[c])]
    keys = [c for c in e.columns if c not in floats]
    order = keys + floats
    a = a[order].sort_values(order, na_position="first", ignore_index=True)
    e = e[order].sort_values(order, na_position="first", ignore_index=True)
    for c in keys:
        same = (a[c].isna() & e[c].isna()) | (a[c] == e[c]).fillna(False)
        if not bool(same.all()):
            bad = int((~same).sum())
            result.problems.append(f"{table}.{c}: {bad} rows differ, e.g. {a[c][~same].iloc[0]!r} "
                                   f"against {e[c][~same].iloc[0]!r}")
    for c in floats:
        x, y = a[c].to_numpy(), e[c].to_numpy()
        both_nan = np.isnan(x) & np.isnan(y)
        if bool((np.isnan(x) != np.isnan(y)).any()):
            result.problems.append(f"{table}.{c}: nulls in different rows")
            continue
        diff = np.where(both_nan, 0.0, np.abs(x - y))
        rel = np.where(both_nan, 0.0, diff / np.maximum(np.abs(y), 1e-300))
        result.max_abs[c] = float(diff.max()) if len(diff) else 0.0
        result.max_rel[c] = float(np.where(diff == 0, 0.0, rel).max()) if len(diff) else 0.0
        if bool((diff > ABS_TOL + REL_TOL * np.abs(np.nan_to_num(y))).any()):
            result.problems.append(f"{table}.{c}: max abs difference {result.max_abs[c]:.3g}, "
                                   f"max rel {result.max_rel[c]:.3g}")
    return result
