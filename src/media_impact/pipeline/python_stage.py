"""The dbt Python models, run in-process on a warehouse whose adapter has none
(PostgreSQL, Redshift).

dbt cannot run a Python model there, so the build runs each ``python_models/**/*.py``
file itself, in DAG order from the parsed manifest, with the same ``model(dbt,
session)`` function dbt-duckdb calls. The ``dbt`` it passes is a small stand-in:

* ``dbt.ref(name)`` reads the parent table from the warehouse (``.df()`` gives the
  frame, with the dtypes DuckDB would give; ``warehouse_tables.read_table``). Python
  models ref only marts, reference seeds and other Python models' outputs, so no raw
  or row-level table leaves the warehouse;
* ``dbt.config.get(key)`` returns the model's configuration from the manifest (YAML
  ``config:`` and ``vars`` rendered by dbt), ``dbt.config(...)`` is accepted as in dbt;
* ``dbt.this`` names the model's own relation.

The returned frame is written back as ``<schema>.<model name>``, typed, in one
transaction (``warehouse_tables.write_table``). An ``incremental`` model with a
``unique_key`` (``forecast_runs``) keeps the published table's rows whose key the new
rows do not carry, as dbt's incremental merge does.

Because the same files call the same package functions on frames of the same dtypes,
the outputs match the DuckDB build's; ``tests/python/usage/test_postgres.py``
measures how closely.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import warehouse_tables as wt


class ModelFailed(Exception):
    """A Python model could not be run or written; the message says which and why."""


class _Frame:
    """What ``dbt.ref()`` returns: a relation whose ``.df()`` reads it as a pandas frame,
    and whose ``.filter(sql)`` narrows it in the warehouse (as a DuckDB relation's does)."""

    def __init__(self, con, schema: str, name: str, where: str | None = None):
        self._con, self._schema, self._name, self._where = con, schema, name, where

    def filter(self, condition: str) -> "_Frame":
        where = condition if self._where is None else f"({self._where}) and ({condition})"
        return _Frame(self._con, self._schema, self._name, where)

    def df(self) -> pd.DataFrame:
        return wt.read_table(self._con, self._schema, self._name, self._where)

    to_pandas = df


class _Config:
    """``dbt.config``: callable (in-file config, already in the manifest) and ``.get``."""

    def __init__(self, node):
        self._node = node

    def __call__(self, *args, **kwargs) -> str:
        return ""

    def get(self, key: str, default: Any = None) -> Any:
        value = self._node.config.get(key, None)
        if value is None:
            value = (self._node.config_call_dict or {}).get(key, None)
        return default if value is None else value


class DbtStandIn:
    """The ``dbt`` argument of a Python model, reading its parents from the warehouse."""

    def __init__(self, node, manifest, con):
        self._node = node
        self._manifest = manifest
        self._con = con
        self.config = _Config(node)
        self.this = wt.quoted(node.schema, node.alias or node.name)
        self.is_incremental = False

    def _parent(self, name: str, package: str | None = None):
        for uid in self._node.depends_on.nodes:
            parent = self._manifest.nodes.get(uid)
            if parent is not None and parent.name == name and (package is None or parent.package_name == package):
                return parent
        raise ModelFailed(f"model {self._node.name} refs {name!r}, which is not among its parents in the manifest")

    def _read(self, schema: str, name: str, model: str) -> _Frame:
        if not wt.table_exists(self._con, schema, name):
            raise ModelFailed(f"model {self._node.name}: its input {schema}.{name} ({model}) is not in the "
                              f"warehouse; build it first (select the model with its parents, +{self._node.name})")
        return _Frame(self._con, schema, name)

    def ref(self, *names: str, version=None, v=None, package: str | None = None) -> _Frame:
        package, name = (names[0], names[1]) if len(names) == 2 else (package, names[0])
        parent = self._parent(name, package)
        return self._read(parent.schema, parent.alias or parent.name, name)

    def source(self, source_name: str, table_name: str) -> _Frame:
        for uid in self._node.depends_on.nodes:
            src = self._manifest.sources.get(uid)
            if src is not None and (src.source_name, src.name) == (source_name, table_name):
                return self._read(src.schema, src.identifier or src.name, f"source {source_name}.{table_name}")
        raise ModelFailed(f"model {self._node.name} reads source {source_name}.{table_name}, not in its parents")


def python_models_in_order(manifest, selected: set[str] | None = None) -> list:
    """Enabled Python models (all, or those in ``selected`` unique ids), parents first,
    also where a Python model reads another through SQL models in between."""
    python = {uid: n for uid, n in manifest.nodes.items()
              if n.resource_type == "model" and n.language == "python" and (selected is None or uid in selected)}
    ordered: list = []
    done: set[str] = set()
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in manifest.nodes:
            return
        seen.add(uid)
        for parent in getattr(manifest.nodes[uid].depends_on, "nodes", []):
            visit(parent)
        if uid in python and uid not in done:
            done.add(uid)
            ordered.append(python[uid])

    for uid in sorted(python):
        visit(uid)
    return ordered


def _model_function(node, project_dir: Path):
    path = Path(project_dir) / node.original_file_path
    namespace: dict[str, Any] = {"__name__": f"python_model_{node.name}", "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)   # the model file itself, as dbt runs it
    return namespace["model"]


def _published_schema(schema: str) -> str:
    suffix = os.environ.get("MEDIA_IMPACT_SCHEMA_SUFFIX", "")
    return schema[: -len(suffix)] if suffix and schema.endswith(suffix) else schema


def _with_earlier_runs(node, frame: pd.DataFrame, con) -> pd.DataFrame:
    """An incremental model's new rows plus the published rows whose unique key they lack."""
    key = node.config.get("unique_key")
    published = _published_schema(node.schema)
    name = node.alias or node.name
    if node.config.materialized != "incremental" or not key or not wt.table_exists(con, published, name):
        return frame
    earlier = wt.read_table(con, published, name)
    keys = [key] if isinstance(key, str) else list(key)
    if set(earlier.columns) != set(frame.columns):   # the model's columns changed: start the history again
        return frame
    new_keys = frame[keys].drop_duplicates()
    kept = earlier.merge(new_keys, on=keys, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")[list(frame.columns)]
    return pd.concat([kept.astype(frame.dtypes.to_dict(), errors="ignore"), frame], ignore_index=True)


@contextlib.contextmanager
def _cwd(path: Path):
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@dataclass
class StageOutcome:
    written: dict[str, int] = field(default_factory=dict)    # "schema.table" -> rows
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.error is None


def sql_between(manifest, node, pending: set[str]) -> list[str]:
    """The not-yet-built SQL models (``pending``, unique ids) that ``node`` reads directly
    or through other pending SQL models: an SQL model between two Python models (the
    forecast's backtest rows are SQL over the prediction cache)."""
    out, stack = set(), list(node.depends_on.nodes)
    while stack:
        uid = stack.pop()
        if uid in pending and uid not in out:
            out.add(uid)
            stack.extend(manifest.nodes[uid].depends_on.nodes)
    return sorted(out)


def run_python_stage(manifest, project_dir: Path, selected: set[str] | None = None, con=None,
                     build_sql=None, pending: set[str] | None = None) -> StageOutcome:
    """Run every (selected) Python model in DAG order and write its table; stops at the
    first model that fails, with a one-line reason naming it. SQL models of ``pending``
    that a Python model reads are built first by ``build_sql(names) -> success``."""
    outcome = StageOutcome()
    pending = set(pending or ())
    own = con is None
    con = con or wt.connect()
    try:
        with _cwd(Path(project_dir)):           # relative config paths resolve as in a dbt run
            for node in python_models_in_order(manifest, selected):
                started = time.perf_counter()
                between = sql_between(manifest, node, pending)
                if between and build_sql is not None:
                    names = [manifest.nodes[u].name for u in between]
                    con.commit()
                    if not build_sql(names):
                        outcome.error = f"SQL model(s) {', '.join(names)} read by {node.name} failed to build"
                        return outcome
                    pending -= set(between)
                try:
                    returned = _model_function(node, project_dir)(DbtStandIn(node, manifest, con), None)
                    frame = returned.df() if hasattr(returned, "df") else pd.DataFrame(returned)
                    frame = _with_earlier_runs(node, frame, con)
                    name = node.alias or node.name
                    outcome.written[f"{node.schema}.{name}"] = wt.write_table(con, node.schema, name, frame)
                except Exception as exc:        # a model's error ends the stage with its reason, not a traceback
                    con.rollback()
                    reason = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
                    outcome.error = f"Python model {node.name} failed: {type(exc).__name__}: {reason}"
                    return outcome
                outcome.seconds[node.name] = time.perf_counter() - started
    finally:
        if own:
            con.close()
    return outcome
