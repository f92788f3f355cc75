"""Fixtures of the contract suite: a private copy of the project, parsed once and
built once (SQL layer), that bad-input cases corrupt one feed at a time."""
from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from media_impact.pipeline.build import REPO_ROOT, parse_manifest, run_build

DB_NAME = "media_impact.duckdb"
# the SQL layer: python models fit statistics and play no part in the data contract
SQL_LAYER = ["--exclude", "path:python_models+"]
# per-case speed: no JSON artifacts to write, relations looked up only where needed
FAST = ["--no-write-json", "--no-populate-cache"]
_TOP_LEVEL_SKIP = {".venv", ".git", "target", "logs", "data", "bench_out", "screenshots", "node_modules", "dbt_packages"}
_ANYWHERE_SKIP = shutil.ignore_patterns("*.duckdb", "*.duckdb.wal", "__pycache__", ".pytest_cache")


def _ignore(directory: str, names: list[str]) -> set[str]:
    # build outputs only at the top: models/staging/target/ is a retailer, not dbt's target
    skip = set(_ANYWHERE_SKIP(directory, names))
    if Path(directory).resolve() == REPO_ROOT.resolve():
        skip |= _TOP_LEVEL_SKIP & set(names)
    return skip


@contextlib.contextmanager
def dbt_env(db: Path, work: Path):
    """Point in-process dbt at one database and one target folder, then restore."""
    keys = ("MEDIA_IMPACT_DB", "DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROFILES_DIR", "MEDIA_IMPACT_TARGET")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(
        MEDIA_IMPACT_DB=str(db), DBT_TARGET_PATH=str(work / "target"), DBT_LOG_PATH=str(work / "logs"),
        MEDIA_IMPACT_TARGET="duckdb",
    )
    os.environ.pop("DBT_PROFILES_DIR", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def marts_fingerprint(db: Path) -> dict[str, tuple]:
    """Row count and an order-independent hash of every table in schema marts.

    Floating-point columns are rounded to cents first: a rebuild may add the same
    numbers in another order (parallel aggregation) and differ in the last bit.
    """
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
        by_table: dict[str, list[str]] = {}
        for table, column, data_type in columns:
            expr = f'round("{column}", 2)' if data_type in ("DOUBLE", "FLOAT", "REAL") else f'"{column}"'
            by_table.setdefault(table, []).append(expr)
        prints = {}
        for table, exprs in by_table.items():
            row = ", ".join(exprs)
            prints[table] = tuple(
                con.execute(f"select count(*), sum(hash({row})) from marts.{table}").fetchall()[0]
            )
        return prints
    finally:
        con.close()


@dataclass
class Workspace:
    root: Path
    project: Path
    good_db: Path
    manifest: object
    fingerprint: dict

    def build(self, db: Path, args: list[str]):
        with dbt_env(db, self.root):
            return run_build([*FAST, *args, *SQL_LAYER], project_dir=self.project, manifest=self.manifest, quiet=True)


@pytest.fixture(scope="session")
def contract_workspace(tmp_path_factory) -> Workspace:
    """A copy of the project with a complete, passing build of its SQL layer."""
    root = tmp_path_factory.mktemp("contract")
    project = root / "project"
    shutil.copytree(REPO_ROOT, project, ignore=_ignore)
    # every database file of the suite has this name: DuckDB names the catalog after
    # the file stem, and the parsed manifest's relation names carry the catalog
    (root / "good").mkdir()
    good_db = root / "good" / DB_NAME
    with dbt_env(good_db, root):
        manifest = parse_manifest(["--profiles-dir", str(project / "profiles")], project)
    ws = Workspace(root, project, good_db, manifest, {})
    outcome = ws.build(good_db, ["--profiles-dir", str(project / "profiles")])
    assert outcome.success, "the clean build must pass:\n" + outcome.report()
    ws.fingerprint = marts_fingerprint(good_db)
    assert ws.fingerprint, "the clean build produced no marts"
    return ws
