"""Shared fixtures: one full `dbt build` per pytest session, reused by every suite.

Set MEDIA_IMPACT_TEST_DB=/path/to/built.duckdb to reuse a database you built
already (fast local iteration); CI always builds from an empty database.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _find_reference_data() -> Path:
    """The shared peers' data: $MEDIA_IMPACT_REFERENCE_DATA, else ../shared beside the
    checkout, else the workplace's /work/shared (a CI clone may live elsewhere)."""
    if os.environ.get("MEDIA_IMPACT_REFERENCE_DATA"):
        return Path(os.environ["MEDIA_IMPACT_REFERENCE_DATA"])
    for candidate in (REPO_ROOT.parent / "shared" / "reference-data", Path("/work/shared/reference-data")):
        if candidate.is_dir():
            return candidate
    return REPO_ROOT.parent / "shared" / "reference-data"


REFERENCE_DATA = _find_reference_data()


def dbt_env(db_path: Path, work_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a dbt run isolated in its own database and target folder."""
    env = dict(os.environ)
    env.update(
        MEDIA_IMPACT_DB=str(db_path),
        DBT_TARGET_PATH=str(work_dir / "target"),
        DBT_LOG_PATH=str(work_dir / "logs"),
        DBT_PROFILES_DIR=str(REPO_ROOT / "profiles"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    env.update(extra)
    return env


def rebuild_copy(built: Path, work_dir: Path, select: str) -> Path:
    """A copy of the built file in ``work_dir`` on which the models of ``select`` are
    built again (no tests): what a second `dbt build` with unchanged inputs does."""
    import shutil
    import subprocess
    import sys

    db = work_dir / "media_impact.duckdb"
    shutil.copy(built, db)
    r = subprocess.run([sys.executable, "-m", "dbt.cli.main", "build", "--select", select,
                        "--exclude-resource-type", "test"], cwd=REPO_ROOT, env=dbt_env(db, work_dir),
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:]
    return db


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The peers' shared reference files; tests using them skip when absent."""
    if not REFERENCE_DATA.is_dir():
        pytest.skip(f"reference data folder not found at {REFERENCE_DATA}")
    return REFERENCE_DATA


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """Path of a DuckDB file holding a complete, passing `dbt build` of the sample world."""
    reuse = os.environ.get("MEDIA_IMPACT_TEST_DB")
    if reuse:
        return Path(reuse)
    work = tmp_path_factory.mktemp("full_build")
    db = work / "media_impact.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "build"],
        cwd=REPO_ROOT,
        env=dbt_env(db, work),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, "dbt build failed:\n" + result.stdout[-8000:] + result.stderr[-2000:]
    (work / "build.log").write_text(result.stdout)
    return db


@pytest.fixture(scope="module")
def built_con(built_db):
    """A read-only DuckDB connection to ``built_db`` for one test module. Module scope, not
    session: it must be closed before suites that run dbt on the same file (docs, analyses)
    open it for writing."""
    import duckdb

    connection = duckdb.connect(str(built_db), read_only=True)
    yield connection
    connection.close()
