"""The raw contract also guards feeds read from the warehouse (`raw_mode: source`).

The seeds' tests are mirrored onto the raw sources (models/staging/_sources.yml),
enabled only in source mode. Here the source tables are the clean build's raw
tables, one of them corrupted in place as a warehouse load would be.
"""
from __future__ import annotations

import shutil

import duckdb

from media_impact.pipeline.build import run_build

from .conftest import DB_NAME, FAST, SQL_LAYER, dbt_env, marts_fingerprint


def test_source_mode_stops_a_bad_warehouse_feed(contract_workspace, tmp_path):
    ws = contract_workspace
    feed = "raw_meta__ads_insights"
    db = tmp_path / DB_NAME
    shutil.copy(ws.good_db, db)
    con = duckdb.connect(str(db))
    con.execute(f"update raw.{feed} set spend = '-12.50' "
                f"where rowid in (select rowid from raw.{feed} order by rowid limit 2)")
    con.close()
    args = [*FAST, "--select", f"source:raw.{feed}+", *SQL_LAYER, "--vars", "{raw_mode: source}",
            "--profiles-dir", str(ws.project / "profiles")]
    with dbt_env(db, tmp_path):
        outcome = run_build(args, project_dir=ws.project, quiet=True)
    assert not outcome.success
    report = outcome.report()
    assert f"feed {feed}, column spend, check not_negative (negative value): 2 rows, e.g. {{spend='-12.50'" in report
    # the failing source test stopped staging: nothing downstream was rebuilt
    assert marts_fingerprint(db) == ws.fingerprint
