"""Write, audit, publish: a build never replaces the tables users read until every
check has passed.

On DuckDB the published database is one file (``MEDIA_IMPACT_DB``, default
``media_impact.duckdb``). A build copies it into a staging folder beside it
(``.media_impact_building/<same file name>``: DuckDB names its catalog after the file
stem, and the views a build creates name that catalog, so the staged file keeps the
name), runs the whole ``dbt build`` there (every model and every test), and only when
all of it passed moves the staged file over the published one with one atomic rename.
A failed or interrupted build leaves the published file exactly as the last good
build left it; the failed build stays in the staging folder for inspection.

On PostgreSQL (and Redshift, whose DDL is transactional too) every schema is built
under a staging name (``<schema>__staging``, through ``generate_schema_name`` and
``MEDIA_IMPACT_SCHEMA_SUFFIX``), every test runs there, and when all passed one
transaction renames each published schema away, renames its staging schema in and
drops the old one: readers see the old build or the new one, never a mix. Views keep
pointing at the right tables across the renames (PostgreSQL binds them by object id).
"""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

STAGING_DIR = ".media_impact_building"


def published_path() -> Path:
    return Path(os.environ.get("MEDIA_IMPACT_DB", "media_impact.duckdb")).resolve()


def staged_path(published: Path) -> Path:
    return published.parent / STAGING_DIR / published.name


def is_duckdb_target() -> bool:
    return os.environ.get("MEDIA_IMPACT_TARGET", "duckdb") == "duckdb"


def _wal(p: Path) -> Path:
    return p.with_name(p.name + ".wal")


def stage(published: Path) -> Path:
    """A fresh staging copy of the published database (or none, for a first build)."""
    staged = staged_path(published)
    if staged.parent.exists():
        shutil.rmtree(staged.parent)
    staged.parent.mkdir(parents=True)
    for src, dst in ((published, staged), (_wal(published), _wal(staged))):
        if src.exists():
            shutil.copy2(src, dst)
    return staged


def drop_leftovers(db: Path) -> list[str]:
    """Drop the temporary relations dbt leaves behind (``<model>__dbt_tmp<timestamp>`` of
    an incremental model on an existing database, ``__dbt_backup``); returns their names."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        rows = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_name like '%\\_\\_dbt\\_tmp%' escape '\\' "
            "or table_name like '%\\_\\_dbt\\_backup%' escape '\\' order by 1, 2").fetchall()
        for schema, name, kind in rows:
            con.execute(f'drop {"view" if kind == "VIEW" else "table"} if exists "{schema}"."{name}"')
        con.execute("checkpoint")
        return [f"{schema}.{name}" for schema, name, _ in rows]
    finally:
        con.close()


def publish(staged: Path, published: Path) -> None:
    """Make the staged database the published one in one step (atomic rename), without
    dbt's leftover temporary tables."""
    if staged.exists():
        drop_leftovers(staged)
    if _wal(staged).exists():       # a closed DuckDB file has checkpointed; keep the pair whole
        os.replace(_wal(staged), _wal(published))
    elif _wal(published).exists():
        _wal(published).unlink()
    os.replace(staged, published)
    shutil.rmtree(staged.parent, ignore_errors=True)


@contextlib.contextmanager
def env_set(**values: str | None):
    """Environment variables set (``None``: unset) for a block, then restored; in-process
    dbt reads them."""
    saved = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def building_into(staged: Path):
    """Point dbt at the staged file for the duration of the build."""
    return env_set(MEDIA_IMPACT_DB=str(staged))

SCHEMA_SUFFIX = "__staging"


def _pg_connect():
    from .warehouse_tables import connect

    return connect()


def staging_schemas(cur) -> list[str]:
    cur.execute("select schema_name from information_schema.schemata where schema_name like %s order by 1",
                ("%" + SCHEMA_SUFFIX.replace("_", "\\_"),))
    return [r[0] for r in cur.fetchall()]


def pg_clear_staging() -> None:
    """Drop what an earlier failed or killed build left under staging names."""
    con = _pg_connect()
    try:
        with con, con.cursor() as cur:
            for schema in staging_schemas(cur):
                cur.execute(f'drop schema "{schema}" cascade')
    finally:
        con.close()


def pg_publish() -> list[str]:
    """Swap every staging schema in, in one transaction; returns the published names."""
    con = _pg_connect()
    try:
        with con, con.cursor() as cur:
            done = []
            for staged in staging_schemas(cur):
                name = staged[: -len(SCHEMA_SUFFIX)]
                cur.execute(f'drop schema if exists "{name}__old" cascade')
                cur.execute("select 1 from information_schema.schemata where schema_name = %s", (name,))
                if cur.fetchone():
                    cur.execute(f'alter schema "{name}" rename to "{name}__old"')
                cur.execute(f'alter schema "{staged}" rename to "{name}"')
                cur.execute(f'drop schema if exists "{name}__old" cascade')
                done.append(name)
        return done
    finally:
        con.close()


def building_schemas():
    """dbt builds every schema under its staging name for the duration of the build."""
    return env_set(MEDIA_IMPACT_SCHEMA_SUFFIX=SCHEMA_SUFFIX)
