"""After bad input was refused, the next clean build succeeds and rebuilds the same marts.

One feed per downstream path (ad delivery, retailer POS, macro): refuse a corrupted
copy, restore the clean feed, rebuild everything downstream of it, and compare
every mart with the last good build. (A seed is a full refresh, so what holds for
these feeds holds for any: the refused rows leave nothing behind.)
"""
from __future__ import annotations

import shutil

import pytest

from media_impact.pipeline import badinput

from .conftest import DB_NAME, marts_differences

CONTRACTS = badinput.feed_contracts()
FULL_REBUILD_FEEDS = ["raw_meta__ads_insights", "raw_amazon__vendor_sales", "raw_macro__indicators"]


@pytest.mark.parametrize("feed", FULL_REBUILD_FEEDS)
def test_clean_build_after_bad_input_rebuilds_same_marts(contract_workspace, tmp_path, feed):
    ws = contract_workspace
    db = tmp_path / DB_NAME
    shutil.copy(ws.good_db, db)
    csv = ws.project / "seeds" / "raw" / f"{feed}.csv"
    original = csv.read_bytes()
    kind = CONTRACTS[feed].applicable_kinds()[0]
    bad, _ = badinput.corrupt(badinput.read_feed(csv), CONTRACTS[feed], kind)
    badinput.write_feed(bad, csv)
    try:
        assert not ws.build(db, ["--select", f"{feed}+"]).success
    finally:
        csv.write_bytes(original)
    outcome = ws.build(db, ["--select", f"{feed}+"])
    assert outcome.success, outcome.report()
    differences = marts_differences(ws.good_db, db)
    assert set(differences) == set(ws.fingerprint)
    assert not any(differences.values()), f"rows that differ from the last good build: {differences}"


def test_wrapper_cli_prints_feed_column_and_rows(contract_workspace, tmp_path, capsys):
    """`python -m media_impact.pipeline build` exits non-zero with the one-line report."""
    from media_impact.pipeline.build import main

    from .conftest import SQL_LAYER, dbt_env

    ws = contract_workspace
    feed = "raw_meta__ads_insights"
    db = tmp_path / DB_NAME
    shutil.copy(ws.good_db, db)
    csv = ws.project / "seeds" / "raw" / f"{feed}.csv"
    original = csv.read_bytes()
    bad, column = badinput.corrupt(badinput.read_feed(csv), CONTRACTS[feed], "negative_spend")
    badinput.write_feed(bad, csv)
    try:
        with dbt_env(db, ws.root):
            code = main(["build", "--select", feed, "--project-dir", str(ws.project),
                         "--profiles-dir", str(ws.project / "profiles"), "--quiet", *SQL_LAYER])
    finally:
        csv.write_bytes(original)
    err = capsys.readouterr().err
    assert code == 1
    assert f"feed {feed}, column {column}, check not_negative (negative value): 1 row, e.g. {{{column}='-" in err
