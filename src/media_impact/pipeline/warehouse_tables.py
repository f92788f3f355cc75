"""Tables in and out of a PostgreSQL-protocol warehouse (PostgreSQL, Redshift) as pandas.

The Python stage (``python_stage.py``) reads the marts a dbt Python model refs and
writes the table it returns. Both directions keep the types DuckDB would give, so a
package function receives the same frame on every warehouse:

* read: ``integer`` -> int32, ``bigint`` -> int64 (pandas' nullable ``Int32``/``Int64``
  when the column holds nulls), ``numeric``/``real``/``double`` -> float64, ``date``
  and ``timestamp`` -> datetime64[us], ``boolean`` -> bool (``boolean`` with nulls),
  text -> object; the same dtypes DuckDB's ``.df()`` gives for those column types.
* write: int64 -> ``bigint``, int32 -> ``integer``, float -> ``double precision``,
  datetime -> ``timestamp``, bool -> ``boolean``, object columns by their values
  (str -> ``text``, ``varchar(65535)`` on Redshift, ``datetime.date`` -> ``date``); NaN and NaT are written as NULL,
  as DuckDB does when it stores a pandas frame. Floats travel as ``repr`` (exact).

``write_table`` replaces a table in one transaction (create under a temporary name,
insert, drop the old one, rename): a failed write leaves the previous table.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
import os
from typing import Any

import numpy as np
import pandas as pd

# PostgreSQL type OIDs (pg_type) -> pandas dtype of the column DuckDB's .df() gives
_INT_OIDS = {21: "int16", 23: "int32", 20: "int64"}
_FLOAT_OIDS = {700, 701, 1700}
_DATE_OIDS = {1082, 1114, 1184}
_BOOL_OID = 16
_INSERT_PAGE_ROWS = 1000


def connect(target: str | None = None):
    """A psycopg2 connection to the warehouse of ``target`` (MEDIA_IMPACT_TARGET), from
    the same environment variables as profiles/profiles.yml."""
    import psycopg2

    target = target or os.environ.get("MEDIA_IMPACT_TARGET", "postgres")
    if target == "redshift":
        return psycopg2.connect(host=os.environ.get("REDSHIFT_HOST", ""), port=5439,
                                user=os.environ.get("REDSHIFT_USER", ""),
                                password=os.environ.get("REDSHIFT_PASSWORD", ""),
                                dbname=os.environ.get("REDSHIFT_DATABASE", ""))
    return psycopg2.connect(host=os.environ.get("PGHOST", "localhost"), port=int(os.environ.get("PGPORT", "5432")),
                            user=os.environ.get("PGUSER", "postgres"), password=os.environ.get("PGPASSWORD", ""),
                            dbname=os.environ.get("PGDATABASE", "media_impact"))


def quoted(schema: str, name: str) -> str:
    return f'"{schema}"."{name}"'


def table_exists(con, schema: str, name: str) -> bool:
    with con.cursor() as cur:
        cur.execute("select 1 from information_schema.tables where table_schema = %s and table_name = %s",
                    (schema, name))
        return cur.fetchone() is not None


def _column(values: list[Any], oid: int) -> pd.Series:
    has_null = any(v is None for v in values)
    if oid in _INT_OIDS:
        dtype = _INT_OIDS[oid]
        return pd.Series(values, dtype=dtype.capitalize() if has_null else dtype)
    if oid in _FLOAT_OIDS:
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    if oid in _DATE_OIDS:
        return pd.Series(pd.to_datetime(values), dtype="datetime64[us]")
    if oid == _BOOL_OID:
        return pd.Series(values, dtype="boolean" if has_null else "bool")
    return pd.Series(values, dtype="object")


def read_table(con, schema: str, name: str, where: str | None = None) -> pd.DataFrame:
    """The table (its rows matching the SQL condition ``where``, when given) as a frame
    with DuckDB's dtypes (see the module docstring), in the warehouse's row order."""
    with con.cursor() as cur:
        cur.execute(f"select * from {quoted(schema, name)}" + (f" where {where}" if where else ""))
        rows = cur.fetchall()
        description = cur.description
    columns = {d.name: _column([r[i] for r in rows], d.type_code) for i, d in enumerate(description)}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


def _text_type() -> str:
    # Redshift's `text` is varchar(256); the MMM's persisted fit holds longer JSON rows
    return "varchar(65535)" if os.environ.get("MEDIA_IMPACT_TARGET") == "redshift" else "text"


def _object_type(values: pd.Series) -> str:
    sample = values.dropna()
    if sample.empty:
        return _text_type()
    first = sample.iloc[0]
    if isinstance(first, (bool, np.bool_)):
        return "boolean"
    if isinstance(first, (int, np.integer)):
        return "bigint"
    if isinstance(first, (float, np.floating, decimal.Decimal)):
        return "double precision"
    if isinstance(first, dt.datetime):
        return "timestamp"
    if isinstance(first, dt.date):
        return "date"
    return _text_type()


def sql_type(values: pd.Series) -> str:
    """The column type a frame column is stored as (the types DuckDB gives a pandas frame)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return {1: "smallint", 2: "smallint", 4: "integer"}.get(dtype.itemsize, "bigint")
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    return _object_type(values)


def _cell(value: Any) -> Any:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def write_table(con, schema: str, name: str, frame: pd.DataFrame) -> int:
    """Replace ``schema.name`` with ``frame`` in one transaction; returns the row count.
    On any error the transaction rolls back and the previous table stays."""
    from psycopg2.extras import execute_values

    columns = [str(c) for c in frame.columns]
    types = [sql_type(frame[c]) for c in frame.columns]
    temporary = f"{name}__mi_new"
    ddl = ", ".join(f'"{c}" {t}' for c, t in zip(columns, types))
    rows = [tuple(_cell(v) for v in row) for row in frame.itertuples(index=False, name=None)]
    try:
        with con.cursor() as cur:
            cur.execute(f'create schema if not exists "{schema}"')
            cur.execute(f"drop table if exists {quoted(schema, temporary)}")
            cur.execute(f"create table {quoted(schema, temporary)} ({ddl})")
            if rows:
                names = ", ".join(f'"{c}"' for c in columns)
                execute_values(cur, f"insert into {quoted(schema, temporary)} ({names}) values %s", rows,
                               page_size=_INSERT_PAGE_ROWS)
            cur.execute(f"drop table if exists {quoted(schema, name)}")
            cur.execute(f'alter table {quoted(schema, temporary)} rename to "{name}"')
        con.commit()
    except Exception:
        con.rollback()
        raise
    return len(rows)
