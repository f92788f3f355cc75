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

Other targets build in place (write-audit-publish there is issue 15's open part).
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
def building_into(staged: Path):
    """Point dbt at the staged file for the duration of the build."""
    saved = os.environ.get("MEDIA_IMPACT_DB")
    os.environ["MEDIA_IMPACT_DB"] = str(staged)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MEDIA_IMPACT_DB", None)
        else:
            os.environ["MEDIA_IMPACT_DB"] = saved
