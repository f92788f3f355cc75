"""Two clean builds of the same inputs give the same bytes in every table (issue 15):
DuckDB runs each query on one worker (profiles.yml), so sums of doubles add in a
fixed order, and the MMM's persisted fit keeps its timings out of its JSON. Every
base table of every schema is hashed row by row; only the timing columns are left out."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from conftest import dbt_env

REPO_ROOT = Path(__file__).resolve().parents[3]
TIMING = {"fit_seconds", "fit_cpu_seconds", "run_at"}   # wall-clock facts of a run, nothing else


def _hashes(db: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_type = 'BASE TABLE' and table_name not like '%dbt_tmp%' "
                             "order by 1, 2").fetchall()
        out = {}
        for schema, table in tables:
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall() if r[0] not in TIMING]
            sel = ", ".join(f'"{c}"' for c in cols)
            out[f"{schema}.{table}"] = tuple(con.execute(
                f'select count(*), sum(hash(({sel}))) from "{schema}"."{table}"').fetchone())
        return out
    finally:
        con.close()


def test_two_clean_builds_are_bit_identical(built_db, tmp_path):
    db = tmp_path / "media_impact.duckdb"
    result = subprocess.run([sys.executable, "-m", "dbt.cli.main", "build"], cwd=REPO_ROOT,
                            env=dbt_env(db, tmp_path), capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-4000:]
    first, second = _hashes(built_db), _hashes(db)
    assert len(first) > 50 and set(first) == set(second)
    differ = sorted(t for t in first if first[t] != second[t])
    assert not differ, f"{len(differ)} of {len(first)} tables differ between two clean builds: {differ}"
