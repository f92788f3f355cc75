"""Fixtures of the contract suite: a private copy of the project, parsed once and
built once (SQL layer), that bad-input cases corrupt one feed at a time."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from media_impact.pipeline.build import REPO_ROOT, parse_manifest, run_build
from media_impact.pipeline.publish import env_set

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


def dbt_env(db: Path, work: Path):
    """Point in-process dbt at one database and one target folder, then restore."""
    return env_set(MEDIA_IMPACT_DB=str(db), DBT_TARGET_PATH=str(work / "target"), DBT_LOG_PATH=str(work / "logs"),
                   MEDIA_IMPACT_TARGET="duckdb", DBT_PROFILES_DIR=None)


def marts_fingerprint(db: Path) -> dict[str, tuple]:
    """Row count and an order-independent hash of every table in schema marts: equal
    fingerprints mean the tables were not touched (exact, bit for bit)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()]
        return {t: tuple(con.execute(f"select count(*), sum(hash(t)) from marts.{t} as t").fetchall()[0])
                for t in tables}
    finally:
        con.close()


def marts_differences(good_db: Path, other_db: Path, rel_tol: float = 1e-9) -> dict[str, int]:
    """Rows of each mart that differ between two databases, floats compared within a
    relative tolerance: a rebuild may add the same numbers in another order (parallel
    aggregation) and differ in the last bit. Rows are matched on their non-float columns
    (every mart's key is made of dates, ids and flags)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"attach '{good_db}' as good_db (read_only)")
        con.execute(f"attach '{other_db}' as other_db (read_only)")
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = 'good_db' and table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
        by_table: dict[str, list[tuple[str, bool]]] = {}
        for table, column, data_type in columns:
            by_table.setdefault(table, []).append((column, data_type in ("DOUBLE", "FLOAT", "REAL")))
        differences = {}
        for table, cols in by_table.items():
            keys = [c for c, is_float in cols if not is_float]
            floats = [c for c, is_float in cols if is_float]
            on = " and ".join(f'a."{c}" is not distinct from b."{c}"' for c in keys) or "true"
            close = " and ".join(
                f'((a."{c}" is null and b."{c}" is null) or abs(a."{c}" - b."{c}") <= {rel_tol} * (1 + abs(a."{c}")))'
                for c in floats
            ) or "true"
            probe = keys[0] if keys else floats[0]
            differences[table] = con.execute(
                f"select count(*) from good_db.marts.{table} as a full outer join other_db.marts.{table} as b on {on} "
                f'where a."{probe}" is null or b."{probe}" is null or not ({close})'
            ).fetchall()[0][0]
        return differences
    finally:
        con.close()


@dataclass
class Workspace:
    root: Path
    project: Path
    good_db: Path
    manifest: object
    fingerprint: dict

    def build(self, db: Path, args: list[str], **kw):
        with dbt_env(db, self.root):
            return run_build([*FAST, *args, *SQL_LAYER], project_dir=self.project, manifest=self.manifest, quiet=True,
                             **kw)


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
