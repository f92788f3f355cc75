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

import media_impact  # noqa: F401  first: pins numpy's kernels before anything loads numpy (numerics.py)

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


def shared_dir(tmp_path_factory, name: str) -> Path:
    """A folder every pytest-xdist worker of this run sees (the run's common temporary
    root; the session's own root without xdist)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    path = root / name
    path.mkdir(exist_ok=True)
    return path


def build_once(tmp_path_factory, name: str, make) -> Path:
    """``make(folder)`` run once per test run, whichever xdist worker asks first; the
    others wait on a file lock and read what it made (``folder/done`` marks success; a
    failure is raised again in every worker that asks)."""
    import fcntl

    folder = shared_dir(tmp_path_factory, name)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if (folder / "failed").exists():
                pytest.fail((folder / "failed").read_text(), pytrace=False)
            if not (folder / "done").exists():
                try:
                    make(folder)
                except BaseException as exc:
                    (folder / "failed").write_text(f"{name} failed in another worker: {exc}")
                    raise
                (folder / "done").write_text("ok")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


def _full_build(work: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "build"],
        cwd=REPO_ROOT,
        env=dbt_env(work / "media_impact.duckdb", work),
        capture_output=True,
        text=True,
    )
    (work / "build.log").write_text(result.stdout)
    assert result.returncode == 0, "dbt build failed:\n" + result.stdout[-8000:] + result.stderr[-2000:]


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """Path of a DuckDB file holding a complete, passing `dbt build` of the sample world:
    one build per test run, shared read-only by every suite and xdist worker (a test that
    lets dbt write to it works on a copy, :func:`private_copy`)."""
    reuse = os.environ.get("MEDIA_IMPACT_TEST_DB")
    if reuse:
        return Path(reuse)
    return build_once(tmp_path_factory, "full_build", _full_build) / "media_impact.duckdb"


def private_copy(db: Path, folder: Path) -> Path:
    """A copy of a built file, same name (DuckDB names the catalog after the file stem),
    for a test whose dbt run opens it for writing while other workers read the original."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / db.name
    shutil.copy(db, copy)
    return copy


@pytest.fixture(scope="module")
def built_con(built_db):
    """A read-only DuckDB connection to ``built_db`` for one test module. Module scope, not
    session: it must be closed before suites that run dbt on the same file (docs, analyses)
    open it for writing."""
    import duckdb

    connection = duckdb.connect(str(built_db), read_only=True)
    yield connection
    connection.close()


# the longest work units (builds of their own), handed out first so that neither worker
# is left with one at the end; the rest follow in collection order
LONG_UNITS = ("contract", "usage/test_postgres.py", "usage/test_determinism.py", "usage/test_screenshots.py",
              "usage/test_lint.py", "mmm/test_pipeline_marts.py", "usage/test_warehouse_targets.py",
              "usage/test_docs.py", "usage/test_analyses.py", "forecast/test_dbt_outputs.py")


def _unit_of(nodeid: str) -> str:
    """The work unit of a test: the contract suite is one (its files share one built
    workspace), every other test file is its own (its module fixtures are made once)."""
    path = nodeid.split("::")[0]
    rel = path.split("tests/python/", 1)[-1]
    return "contract" if rel.startswith("contract/") else rel


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scope scheduling with our units (``-n 2 --no-loadscope-reorder``,
    pyproject.toml): two workers take units as they free up, in collection order, so
    the long ones (first, below) do not end the run on one worker. ``built_db`` is
    built once for both (:func:`build_once`). (xdist's own ``xdist_group`` marks are
    not seen with this pytest: the node ids it rewrites do not reach the scheduler.)"""
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit_of(nodeid)

    return UnitScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """The long units first (``LONG_UNITS``); files keep their order otherwise."""
    rank = {name: i for i, name in enumerate(LONG_UNITS)}
    items.sort(key=lambda item: rank.get(_unit_of(item.nodeid), len(LONG_UNITS)))
