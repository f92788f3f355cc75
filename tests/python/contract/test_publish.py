"""Write, audit, publish on DuckDB: the README's build command stages the build, and
only a build whose every model and test passed replaces the published database."""
from __future__ import annotations

import shutil

from media_impact.pipeline import badinput
from media_impact.pipeline.build import main as build_main
from media_impact.pipeline.publish import STAGING_DIR

from .conftest import DB_NAME, FAST, SQL_LAYER, dbt_env, marts_differences, marts_fingerprint

FEED, KIND = "raw_meta__ads_insights", "negative_spend"


def test_failed_build_publishes_nothing_then_a_good_build_publishes(contract_workspace, tmp_path, capsys):
    ws = contract_workspace
    published = tmp_path / "pub" / DB_NAME
    published.parent.mkdir()
    shutil.copy(ws.good_db, published)
    before = marts_fingerprint(published)
    inode = published.stat().st_ino
    csv = ws.project / "seeds" / "raw" / f"{FEED}.csv"
    contract = badinput.feed_contracts()[FEED]
    assert KIND in contract.applicable_kinds()
    original = csv.read_bytes()
    args = ["build", *FAST, "--select", f"{FEED}+", *SQL_LAYER, "--project-dir", str(ws.project),
            "--profiles-dir", str(ws.project / "profiles")]
    bad, column = badinput.corrupt(badinput.read_feed(csv), contract, KIND)
    badinput.write_feed(bad, csv)
    try:
        with dbt_env(published, ws.root):
            rc = build_main(args)
    finally:
        csv.write_bytes(original)
    err = capsys.readouterr().err
    assert rc == 1
    assert f"feed {FEED}, column {column}" in err
    assert "nothing was published" in err and str(published) in err
    assert published.stat().st_ino == inode           # the very same file, untouched
    assert marts_fingerprint(published) == before
    assert (published.parent / STAGING_DIR / DB_NAME).exists()   # the failed build, for inspection

    import duckdb

    con = duckdb.connect(str(published))       # what a killed incremental run leaves behind
    con.execute("create table main.forecast_runs__dbt_tmp20260101000000 as select 1 as x")
    con.close()
    inode = published.stat().st_ino
    with dbt_env(published, ws.root):
        rc = build_main(args)
    assert rc == 0, capsys.readouterr().err
    assert "published" in capsys.readouterr().out
    assert published.stat().st_ino != inode           # swapped in by one rename
    assert not (published.parent / STAGING_DIR).exists()
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("select count(*) from information_schema.tables where table_name like '%dbt_tmp%'").fetchone()[0] == 0
    con.close()
    # same inputs, same marts (a rebuild may add floats in another order: issue 15)
    assert not any(marts_differences(ws.good_db, published).values())


def test_a_failing_singular_test_gets_the_summary(contract_workspace, tmp_path, capsys):
    """A singular test (a .sql file in tests/) has no test_metadata; the wrapper used to
    crash on it with an AttributeError instead of reporting it (issue 15)."""
    ws = contract_workspace
    published = tmp_path / DB_NAME
    shutil.copy(ws.good_db, published)
    probe = ws.project / "tests" / "always_fails_probe.sql"
    probe.write_text("select channel_id from {{ ref('fct_channel_spend_weekly') }} limit 2\n")
    try:
        with dbt_env(published, ws.root):
            rc = build_main(["build", *FAST, "--select", "always_fails_probe", "--project-dir", str(ws.project),
                             "--profiles-dir", str(ws.project / "profiles")])
    finally:
        probe.unlink()
    err = capsys.readouterr().err
    assert rc == 1
    assert "check always_fails_probe" in err and "2 rows" in err and "nothing was published" in err


def test_a_seed_that_fails_to_load_and_a_failing_python_model_get_the_summary(contract_workspace, tmp_path,
                                                                              capsys):
    """Every kind of node failing ends in the wrapper's summary, never a crash: a seed
    whose file dbt cannot load (with dbt's whole loader error, not its first line), and
    a Python model that raises."""
    ws = contract_workspace
    published = tmp_path / DB_NAME
    shutil.copy(ws.good_db, published)
    common = ["--project-dir", str(ws.project), "--profiles-dir", str(ws.project / "profiles")]
    seed = ws.project / "seeds" / "reference" / "ref_countries.csv"
    original = seed.read_bytes()
    seed.write_bytes(original.rstrip(b"\n") + b",surplus,fields\n")
    try:
        with dbt_env(published, ws.root):
            rc = build_main(["build", *FAST, "--select", "ref_countries", *common])
    finally:
        seed.write_bytes(original)
    err = capsys.readouterr().err
    assert rc == 1 and "seed ref_countries failed:" in err and "nothing was published" in err
    assert len(err.split("seed ref_countries failed:")[1].splitlines()[0]) > 40   # the cause, not only a title

    probe = ws.project / "python_models" / "always_raises_probe.py"
    probe.write_text("def model(dbt, session):\n    dbt.config(materialized='table')\n"
                     "    frame = dbt.ref('ref_countries').df()\n"
                     "    if len(frame) >= 0:\n        raise ValueError('probe: this model always fails')\n"
                     "    return frame\n")
    try:
        with dbt_env(published, ws.root):
            rc = build_main(["build", *FAST, "--select", "always_raises_probe", *common])
        err = capsys.readouterr().err
        assert rc == 1 and "model always_raises_probe failed:" in err and "nothing was published" in err
        # a model dbt cannot even parse: the same summary, no traceback
        probe.write_text("def model(dbt, session):\n    raise ValueError('no dataframe returned')\n")
        with dbt_env(published, ws.root):
            rc = build_main(["build", *FAST, "--select", "always_raises_probe", *common])
        err = capsys.readouterr().err
        assert rc == 1 and "the project does not parse" in err and "always_raises_probe" in err
        assert "Traceback" not in err and "nothing was published" in err
    finally:
        probe.unlink()
    assert published.stat().st_size > 0 and marts_fingerprint(published) == ws.fingerprint
