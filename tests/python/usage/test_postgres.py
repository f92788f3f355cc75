"""The SQL layer on a real PostgreSQL server: seeds, staging, marts and their tests.

A session fixture starts a throwaway cluster with `scripts/postgres_up.sh`
(which installs PostgreSQL from Debian's packages when it is missing) and stops
it with `scripts/postgres_down.sh`. If the server cannot start the tests fail,
they do not skip; set MEDIA_IMPACT_SKIP_POSTGRES=1 to skip them on purpose.

Python models are disabled on PostgreSQL by their `enabled` config, so
`dbt build` there runs exactly the SQL layer. The same set of models is then
built on DuckDB and every table is compared: row counts, sums of numeric
columns, ranges of dates and distinct counts of text columns must agree, which
catches dialect drift such as integer division or date arithmetic.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

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


def _failures(run_results: Path) -> list[str]:
    results = json.loads(run_results.read_text())["results"]
    return [f"{r['unique_id']}: {r['status']} {r.get('message')}" for r in results
            if r["status"] not in ("success", "pass", "warn")]


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
    """One `dbt build` of everything enabled on the postgres target."""
    work = tmp_path_factory.mktemp("pg_build")
    env = _base_env(work, MEDIA_IMPACT_TARGET="postgres", **postgres_env)
    result = _dbt(["build"], env)
    (work / "build.log").write_text(result.stdout + result.stderr)
    run_results = work / "target" / "run_results.json"
    assert run_results.exists(), "dbt build on PostgreSQL did not run:\n" + result.stdout[-6000:] + result.stderr[-3000:]
    return {"env": env, "work": work, "result": result, "run_results": run_results}


def test_sql_layer_builds_and_tests_pass_on_postgres(postgres_build):
    result = postgres_build["result"]
    failures = _failures(postgres_build["run_results"])
    assert result.returncode == 0 and not failures, (
        "dbt build on PostgreSQL failed:\n" + "\n".join(failures[:30]) + "\n" + result.stdout[-6000:])
    results = json.loads(postgres_build["run_results"].read_text())["results"]
    kinds = {}
    for r in results:
        kinds.setdefault(r["unique_id"].split(".")[0], []).append(r["unique_id"])
    # the run really covered the SQL layer: seeds, staging and mart models, and data tests
    assert len(kinds.get("seed", [])) >= 5, kinds.keys()
    models = kinds.get("model", [])
    assert any(".stg_" in m for m in models), models
    assert any(".fct_" in m for m in models), models
    assert len(kinds.get("test", [])) >= 20, len(kinds.get("test", []))


def test_python_models_are_disabled_on_postgres(postgres_build):
    listed = _dbt(["ls", "--resource-type", "model", "--output", "json", "--output-keys", "name original_file_path"],
                  postgres_build["env"])
    assert listed.returncode == 0, listed.stdout + listed.stderr
    paths = [json.loads(line)["original_file_path"] for line in listed.stdout.splitlines() if line.startswith("{")]
    assert paths, listed.stdout
    assert not [p for p in paths if p.endswith(".py")], "Python models enabled on postgres"


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


def test_postgres_tables_match_duckdb(postgres_build, tmp_path_factory):
    """Every table and view built on PostgreSQL holds the same numbers as on DuckDB."""
    import duckdb
    import psycopg2

    if _failures(postgres_build["run_results"]):
        pytest.fail("the PostgreSQL build failed; see test_sql_layer_builds_and_tests_pass_on_postgres",
                    pytrace=False)
    results = json.loads(postgres_build["run_results"].read_text())["results"]
    manifest = json.loads((postgres_build["work"] / "target" / "manifest.json").read_text())
    built = [manifest["nodes"][r["unique_id"]] for r in results
             if r["unique_id"].startswith(("model.", "seed."))]
    names = [n["name"] for n in built]

    work = tmp_path_factory.mktemp("duck_build")
    duck_db = work / "sql_layer.duckdb"
    env = _base_env(work, MEDIA_IMPACT_TARGET="duckdb", MEDIA_IMPACT_DB=str(duck_db))
    duck = _dbt(["build", "--indirect-selection", "cautious", "--select", *names], env)
    assert duck.returncode == 0, "the same models failed on DuckDB:\n" + duck.stdout[-6000:]

    pg_env = postgres_build["env"]
    pg = psycopg2.connect(host=pg_env["PGHOST"], port=pg_env["PGPORT"], user=pg_env["PGUSER"],
                          password=pg_env.get("PGPASSWORD", ""), dbname=pg_env["PGDATABASE"])
    dk = duckdb.connect(str(duck_db), read_only=True)
    mismatches = []
    try:
        cur = pg.cursor()
        for node in built:
            schema, table = node["schema"], node["alias"] or node["name"]
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
    assert len(built) >= 10
    assert not mismatches, f"{len(mismatches)} differences between PostgreSQL and DuckDB:\n" + "\n".join(mismatches[:40])


def test_write_audit_publish_on_postgres(postgres_env, tmp_path, capsys):
    """The build command on PostgreSQL builds every schema under a staging name and swaps
    them in, in one transaction, only when every test passed: a bad feed leaves the
    published tables exactly as the last good build left them (issue 15)."""
    import shutil

    import psycopg2

    from media_impact.pipeline import badinput
    from media_impact.pipeline.build import main as build_main
    from media_impact.pipeline.publish import env_set

    project = tmp_path / "project"
    anywhere = shutil.ignore_patterns("*.duckdb*", "__pycache__", ".pytest_cache")
    top = {".venv", ".venv-peers", ".git", "target", "logs", "data", "bench_out", "screenshots",
           ".media_impact_building"}

    def ignore(directory, names):   # build outputs only at the top: models/staging/target/ is a retailer
        skip = set(anywhere(directory, names))
        return skip | (top & set(names)) if Path(directory).resolve() == REPO_ROOT.resolve() else skip

    shutil.copytree(REPO_ROOT, project, ignore=ignore)
    feed = "raw_meta__ads_insights"
    args = ["build", "--select", "+stg_meta__ads_insights", "--indirect-selection", "cautious",
            "--project-dir", str(project), "--profiles-dir", str(project / "profiles")]
    env = env_set(**postgres_env, MEDIA_IMPACT_TARGET="postgres", DBT_TARGET_PATH=str(tmp_path / "target"),
                  DBT_LOG_PATH=str(tmp_path / "logs"))

    def checksum():
        con = psycopg2.connect(host=postgres_env["PGHOST"], port=int(postgres_env["PGPORT"]),
                               user=postgres_env["PGUSER"], dbname=postgres_env["PGDATABASE"],
                               password=postgres_env.get("PGPASSWORD", ""))
        try:
            with con.cursor() as cur:
                cur.execute("select count(*), sum(spend_usd), min(week_start), max(week_start) "
                            "from staging.stg_meta__ads_insights")
                return cur.fetchone()
        finally:
            con.close()

    with env:
        assert build_main(args) == 0, capsys.readouterr().err
        good = checksum()
        assert good[0] > 0
        csv = project / "seeds" / "raw" / f"{feed}.csv"
        contract = badinput.feed_contracts()[feed]
        bad, column = badinput.corrupt(badinput.read_feed(csv), contract, "negative_spend")
        badinput.write_feed(bad, csv)
        capsys.readouterr()
        assert build_main(args) == 1
        err = capsys.readouterr().err
        assert f"feed {feed}, column {column}" in err and "nothing was published" in err
        assert checksum() == good
