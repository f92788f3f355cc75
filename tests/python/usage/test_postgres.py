"""The whole DAG on a real PostgreSQL server, Python models included (issue 13).

A session fixture starts a throwaway cluster with `scripts/postgres_up.sh`
(which installs PostgreSQL from Debian's packages when it is missing) and stops
it with `scripts/postgres_down.sh`. If the server cannot start the tests fail,
they do not skip; set MEDIA_IMPACT_SKIP_POSTGRES=1 to skip them on purpose.

The README's build command runs on the postgres target: the SQL layer in the
warehouse, the Python stage in-process (media_impact.pipeline.python_stage), then
the Python outputs' tests and the models that read them, all in staging schemas
that are published only when everything passed. Every table is then compared with
the session's DuckDB build (`built_db`): the SQL layer by profile (row counts,
sums, date ranges, distinct counts), the Python outputs and their readers row by
row. A corrupted feed stops the build with the DuckDB message and leaves every
published table as it was.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import private_copy

REPO_ROOT = Path(__file__).resolve().parents[3]
DBT = [sys.executable, "-m", "dbt.cli.main"]


def _base_env(work: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        DBT_PROFILES_DIR=str(REPO_ROOT / "profiles"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    env.update(extra)
    return env


def _dbt(args: list[str], env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(DBT + args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def postgres_env():
    """Environment (PGHOST, PGPORT, ...) of a freshly started local PostgreSQL server."""
    if os.environ.get("MEDIA_IMPACT_SKIP_POSTGRES") == "1":
        pytest.skip("MEDIA_IMPACT_SKIP_POSTGRES=1")
    # under /tmp (not pytest's 0700 tmp dir) so that the `postgres` user can reach it
    pg_dir = Path("/tmp") / f"media_impact_pg_test_{uuid.uuid4().hex[:10]}"
    env = dict(os.environ, MEDIA_IMPACT_PG_DIR=str(pg_dir))
    up = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "postgres_up.sh")],
                        env=env, capture_output=True, text=True, timeout=900)
    if up.returncode != 0:
        pytest.fail("PostgreSQL did not start (set MEDIA_IMPACT_SKIP_POSTGRES=1 to skip on purpose):\n"
                    + up.stdout + up.stderr, pytrace=False)
    pg = {}
    for line in up.stdout.splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line[len("export "):].partition("=")
            pg[key] = value
    assert {"PGHOST", "PGPORT", "PGUSER", "PGDATABASE"} <= pg.keys(), up.stdout
    try:
        yield pg
    finally:
        subprocess.run(["bash", str(REPO_ROOT / "scripts" / "postgres_down.sh")],
                       env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def postgres_build(postgres_env, tmp_path_factory):
    """The README's build command on the postgres target: the whole DAG, Python stage
    included, built under staging schemas, tested there and published."""
    import time

    work = tmp_path_factory.mktemp("pg_build")
    env = _base_env(work, MEDIA_IMPACT_TARGET="postgres", **postgres_env)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "media_impact.pipeline", "build"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    (work / "build.log").write_text(result.stdout + result.stderr)
    manifest = work / "target" / "manifest.json"
    assert manifest.exists(), "the build on PostgreSQL did not run:\n" + result.stdout[-6000:] + result.stderr[-3000:]
    return {"env": env, "work": work, "result": result, "manifest": manifest, "seconds": seconds}


def _published(schema: str) -> str:
    from media_impact.pipeline.publish import SCHEMA_SUFFIX

    return schema[: -len(SCHEMA_SUFFIX)] if schema.endswith(SCHEMA_SUFFIX) else schema


def _connect(pg_env: dict[str, str]):
    """A connection to the session's server (its PG* variables, not the caller's)."""
    from media_impact.pipeline import warehouse_tables as wt
    from media_impact.pipeline.publish import env_set

    with env_set(**{k: v for k, v in pg_env.items() if k.startswith("PG")}):
        return wt.connect("postgres")


def _built_nodes(postgres_build) -> list[dict]:
    manifest = json.loads(postgres_build["manifest"].read_text())
    return [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]


def _python_side(nodes: list[dict]) -> set[str]:
    """Unique ids of the Python models and every model that reads one."""
    python = {n["unique_id"] for n in nodes if n.get("language") == "python"}
    found, grew = set(python), True
    while grew:
        grew = False
        for n in nodes:
            if n["unique_id"] not in found and set(n["depends_on"].get("nodes", [])) & found:
                found.add(n["unique_id"])
                grew = True
    return found


def test_whole_dag_builds_and_tests_pass_on_postgres(postgres_build):
    result = postgres_build["result"]
    out = result.stdout + result.stderr
    assert result.returncode == 0 and "build ok" in result.stdout, "the build on PostgreSQL failed:\n" + out[-8000:]
    nodes = _built_nodes(postgres_build)
    python = [n for n in nodes if n.get("language") == "python"]
    assert len(python) >= 20, [n["name"] for n in python]
    assert f"python stage: {len(python)} tables" in result.stdout, result.stdout[-3000:]
    # every seed, SQL model, data test and unit test ran once in the three dbt steps and passed
    # (an SQL model between two Python models is also built, untested, in the Python stage)
    manifest = json.loads(postgres_build["manifest"].read_text())
    kinds = [n["resource_type"] for n in manifest["nodes"].values() if n.get("language") != "python"]
    expected = sum(k in ("seed", "model", "test") for k in kinds) + len(manifest.get("unit_tests", {}))
    steps = [(int(p), int(w)) for p, w in re.findall(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=0 SKIP=0", result.stdout)]
    assert len(steps) >= 3, "expected three dbt steps (SQL layer, Python outputs' tests, their readers)"
    steps = [steps[0], steps[-2], steps[-1]]
    assert sum(p + w for p, w in steps) == expected, (steps, expected)
    passed, warned = sum(p for p, _ in steps), sum(w for _, w in steps)
    print(f"\nPostgreSQL build: {postgres_build['seconds']:.1f} s wall, {passed} passed + {warned} warned")


def _table_profile_duckdb(con, schema: str, table: str) -> dict:
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
    return _profile(lambda sql: con.execute(sql).fetchone(), f'"{schema}"."{table}"', cols, "duckdb")


def _table_profile_postgres(cur, schema: str, table: str) -> dict:
    cur.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = %s and table_name = %s order by ordinal_position", [schema, table])
    cols = cur.fetchall()

    def one(sql):
        cur.execute(sql)
        return cur.fetchone()
    return _profile(one, f'"{schema}"."{table}"', cols, "postgres")


NUMERIC = ("int", "numeric", "decimal", "double", "real", "float", "bigint", "smallint", "hugeint")


def _profile(fetchone, relation: str, cols, dialect: str) -> dict:
    """Row count plus one summary per column: sum (numbers), min/max (dates), distinct count (the rest)."""
    exprs, kinds = ["count(*)"], ["rows"]
    for name, dtype in cols:
        t = dtype.lower()
        q = f'"{name}"'
        if t == "boolean":
            exprs.append(f"sum(case when {q} then 1 else 0 end)")
            kinds.append(f"{name}:true_count")
        elif any(k in t for k in NUMERIC):
            exprs.append(f"sum(cast({q} as double precision))")
            kinds.append(f"{name}:sum")
        elif "date" in t or "time" in t:
            exprs.append(f"cast(min({q}) as varchar)" if dialect == "duckdb" else f"cast(min({q}) as text)")
            exprs.append(f"cast(max({q}) as varchar)" if dialect == "duckdb" else f"cast(max({q}) as text)")
            kinds += [f"{name}:min", f"{name}:max"]
        else:
            exprs.append(f"count(distinct {q})")
            kinds.append(f"{name}:distinct")
    row = fetchone(f"select {', '.join(exprs)} from {relation}")
    # unquoted identifiers fold to lower case on PostgreSQL (camelCase raw columns): compare folded
    return {"types": {n.lower(): d for n, d in cols}, **{k.lower(): v for k, v in zip(kinds, row)}}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-6)
    return str(a)[:19] == str(b)[:19]


def test_postgres_tables_match_duckdb(postgres_build, built_db):
    """Every table and view built on PostgreSQL holds the same numbers as the DuckDB
    build: the SQL layer by profile (row count, sums, date ranges, distinct counts,
    rel. 1e-6), the Python models' outputs and their readers row by row (same rows and
    keys, floats within warehouse_parity.REL_TOL / ABS_TOL)."""
    import duckdb

    from media_impact.pipeline import warehouse_tables as wt
    from .warehouse_parity import ABS_TOL, REL_TOL, compare

    if postgres_build["result"].returncode != 0:
        pytest.fail("the PostgreSQL build failed; see test_whole_dag_builds_and_tests_pass_on_postgres",
                    pytrace=False)
    nodes = _built_nodes(postgres_build)
    python_side = _python_side(nodes)
    pg = _connect(postgres_build["env"])
    dk = duckdb.connect(str(built_db), read_only=True)
    mismatches, largest = [], {}
    try:
        cur = pg.cursor()
        for node in nodes:
            schema, table = _published(node["schema"]), node["alias"] or node["name"]
            if node["unique_id"] in python_side:
                parity = compare(f"{schema}.{table}", wt.read_table(pg, schema, table),
                                 dk.execute(f'select * from "{schema}"."{table}"').df())
                mismatches += parity.problems
                if parity.max_rel:
                    column = max(parity.max_rel, key=parity.max_rel.get)
                    largest[f"{schema}.{table}.{column}"] = (parity.max_rel[column], parity.max_abs[column])
                continue
            p = _table_profile_postgres(cur, schema, table)
            d = _table_profile_duckdb(dk, schema, table)
            if set(p["types"]) != set(d["types"]):
                mismatches.append(f"{schema}.{table}: columns differ {sorted(set(p['types']) ^ set(d['types']))}")
                continue
            for key in p:
                if key != "types" and key in d and not _same(p[key], d[key]):
                    mismatches.append(f"{schema}.{table} {key}: postgres={p[key]!r} duckdb={d[key]!r}")
    finally:
        pg.close()
        dk.close()
    assert len(nodes) >= 60 and len(python_side) >= 25, (len(nodes), len(python_side))
    assert not mismatches, f"{len(mismatches)} differences between PostgreSQL and DuckDB:\n" + "\n".join(mismatches[:40])
    top = sorted(largest.items(), key=lambda kv: -kv[1][0])[:5]
    print(f"\nlargest relative differences (tolerance rel {REL_TOL:g}, abs {ABS_TOL:g}): "
          + "; ".join(f"{k} rel {r:.2g} abs {a:.2g}" for k, (r, a) in top))


def test_analyses_answer_the_same_on_postgres(postgres_build, built_db):
    """The five SQL answers compile for PostgreSQL, run there on the published tables and
    give DuckDB's answers."""
    import duckdb
    import pandas as pd

    from .warehouse_parity import compare

    if postgres_build["result"].returncode != 0:
        pytest.fail("the PostgreSQL build failed", pytrace=False)
    work = postgres_build["work"] / "analyses"
    compiled = {}
    # dbt opens the DuckDB file for writing: a private copy, so other workers keep reading
    duck = private_copy(built_db, work / "duckdb_db")
    for target, extra in (("postgres", {}), ("duckdb", {"MEDIA_IMPACT_DB": str(duck)})):
        env = _base_env(work / target, **{**postgres_build["env"], "MEDIA_IMPACT_TARGET": target, **extra,
                                          "DBT_TARGET_PATH": str(work / target / "target")})
        res = _dbt(["compile", "--select", "path:analyses"], env)
        assert res.returncode == 0, res.stdout[-4000:]
        folder = work / target / "target" / "compiled" / "media_impact" / "analyses"
        compiled[target] = {p.stem: p.read_text() for p in folder.glob("*.sql")}
    assert len(compiled["postgres"]) >= 5 and set(compiled["postgres"]) == set(compiled["duckdb"])
    pg = _connect(postgres_build["env"])
    dk = duckdb.connect(str(built_db), read_only=True)
    problems = []
    try:
        for name, sql in sorted(compiled["postgres"].items()):
            with pg.cursor() as cur:
                cur.execute(sql)
                cols = [d.name for d in cur.description]
                got = pd.DataFrame(cur.fetchall(), columns=cols)
            for c in got.columns:     # numeric comes back as Decimal: compare as floats
                if got[c].map(lambda v: type(v).__name__ == "Decimal").any():
                    got[c] = got[c].astype("float64")
            want = dk.execute(compiled["duckdb"][name]).df()
            assert len(want) > 0, name
            problems += compare(name, got, want).problems
    finally:
        pg.close()
        dk.close()
    assert not problems, "\n".join(problems[:30])


def _checksums(env: dict[str, str], relations: list[str]) -> dict[str, tuple]:
    con = _connect(env)
    try:
        out = {}
        with con.cursor() as cur:
            for rel in relations:
                cur.execute(f"select count(*), md5(string_agg(t::text, '|' order by t::text)) from {rel} as t")
                out[rel] = cur.fetchone()
        return out
    finally:
        con.close()


def test_corrupted_feed_on_postgres_keeps_the_last_good_outputs(postgres_build, postgres_env, tmp_path, capsys):
    """The build command on PostgreSQL, whole DAG, with a corrupted feed: the same message
    as on DuckDB (feed, column, rows), exit 1, and every published table users read,
    marts and model outputs alike, exactly as the last good build left them (issue 15)."""
    import shutil

    from media_impact.pipeline import badinput
    from media_impact.pipeline.build import main as build_main
    from media_impact.pipeline.publish import env_set

    if postgres_build["result"].returncode != 0:
        pytest.fail("the PostgreSQL build failed", pytrace=False)
    watched = ["staging.stg_meta__ads_insights", "marts.mmm_media_weekly", "mmm.mmm_channel_roi", "mmm.mmm_fit",
               "attribution.attribution_markov_credit", "experiments.experiment_results",
               "forecast.forecast_weekly", "forecast.forecast_runs", "marts.channel_lenses"]
    good = _checksums(postgres_env, watched)
    assert all(count > 0 for count, _ in good.values()), good

    project = tmp_path / "project"
    anywhere = shutil.ignore_patterns("*.duckdb*", "__pycache__", ".pytest_cache")
    top = {".venv", ".venv-peers", ".git", "target", "logs", "data", "bench_out", "screenshots",
           ".media_impact_building"}

    def ignore(directory, names):   # build outputs only at the top: models/staging/target/ is a retailer
        skip = set(anywhere(directory, names))
        return skip | (top & set(names)) if Path(directory).resolve() == REPO_ROOT.resolve() else skip

    shutil.copytree(REPO_ROOT, project, ignore=ignore)
    feed = "raw_meta__ads_insights"
    csv = project / "seeds" / "raw" / f"{feed}.csv"
    bad, column = badinput.corrupt(badinput.read_feed(csv), badinput.feed_contracts()[feed], "negative_spend")
    badinput.write_feed(bad, csv)
    args = ["build", "--project-dir", str(project), "--profiles-dir", str(project / "profiles")]
    with env_set(**postgres_env, MEDIA_IMPACT_TARGET="postgres", DBT_TARGET_PATH=str(tmp_path / "target"),
                 DBT_LOG_PATH=str(tmp_path / "logs")):
        capsys.readouterr()
        assert build_main(args) == 1
    err = capsys.readouterr().err
    assert f"feed {feed}, column {column}" in err and "row" in err and "nothing was published" in err, err[-3000:]
    assert "Traceback" not in err
    assert _checksums(postgres_env, watched) == good


def test_tables_keep_duckdb_types_and_a_failed_write_keeps_the_previous_table(postgres_env):
    """warehouse_tables: a frame written and read back has the dtypes DuckDB's .df() gives
    (floats exact, NaN as NULL), and a write that fails half way leaves the old table."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    from media_impact.pipeline import warehouse_tables as wt

    frame = pd.DataFrame({
        "channel_id": ["meta", "tv", None],
        "n32": np.array([1, 2, 3], dtype="int32"),
        "n64": np.array([10**12, 2, -3], dtype="int64"),
        "share": [0.1 + 0.2, np.nan, 1 / 3],
        "week_start": [dt.date(2024, 1, 1), dt.date(2024, 1, 8), None],
        "run_at": pd.to_datetime(["2026-11-22 10:00:00", None, "2026-11-22 10:00:01.5"], format="ISO8601"),
        "is_chosen": [True, False, True],
    })
    con = _connect(postgres_env)
    try:
        assert wt.write_table(con, "py_stage_test", "t", frame) == 3
        back = wt.read_table(con, "py_stage_test", "t")
        assert list(back.dtypes.astype(str)) == ["object", "int32", "int64", "float64", "datetime64[us]",
                                                 "datetime64[us]", "bool"]
        assert back["share"].iloc[0] == 0.1 + 0.2 and back["share"].iloc[2] == 1 / 3 and np.isnan(back["share"][1])
        assert back["channel_id"].tolist() == ["meta", "tv", None] and back["n64"].iloc[0] == 10**12
        assert back["week_start"].iloc[0] == pd.Timestamp("2024-01-01") and pd.isna(back["week_start"].iloc[2])
        assert back["run_at"].iloc[2] == pd.Timestamp("2026-11-22 10:00:01.5")

        broken = frame.assign(channel_id=["meta", "tv", {"not": "adaptable"}])
        with pytest.raises(Exception):
            wt.write_table(con, "py_stage_test", "t", broken)
        pd.testing.assert_frame_equal(wt.read_table(con, "py_stage_test", "t"), back)
        with con.cursor() as cur:
            cur.execute("select count(*) from information_schema.tables where table_schema = 'py_stage_test'")
            assert cur.fetchone()[0] == 1     # no half-written table left beside it
            cur.execute("drop schema py_stage_test cascade")
        con.commit()
    finally:
        con.close()
