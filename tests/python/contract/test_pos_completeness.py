"""The failures the raw tests alone did not catch (issue 15): a late POS file, a week
missing for one market and a row keyed in thousands now fail a test on the unified
POS table, and because builds are written, audited and then published, the
published database keeps the last good build's bytes."""
from __future__ import annotations

import shutil

import pytest

from media_impact.pipeline import badinput
from media_impact.pipeline.build import main as build_main

from .conftest import DB_NAME, FAST, SQL_LAYER, dbt_env, marts_fingerprint

FEED = "raw_target__pos_sales"


def _late(df):
    return df[df.week_beginning != df.week_beginning.max()]


def _market_week_missing(df):
    week = sorted(df.week_beginning.unique())[40]
    market = sorted(df.trade_area.unique())[0]
    return df[~((df.week_beginning == week) & (df.trade_area == market))]


def _thousandfold(df):
    df = df.copy()
    i = df.index[100]
    for col in ("sales_units", "sales_usd"):
        df.loc[i, col] = str(round(float(df.loc[i, col]) * 1000, 2))
    return df


@pytest.mark.parametrize(("case", "edit", "needles"), [
    ("late file", _late, ["check complete_weekly_series (late or missing weeks)", "late: ends before"]),
    ("a market-week missing", _market_week_missing, ["check complete_weekly_series", "missing weeks"]),
    ("a row x1000", _thousandfold, ["check plausible_vs_series_median (implausible weekly total)"]),
])
def test_pos_failure_stops_and_publishes_nothing(contract_workspace, tmp_path, capsys, case, edit, needles):
    ws = contract_workspace
    published = tmp_path / DB_NAME
    shutil.copy(ws.good_db, published)
    inode = published.stat().st_ino
    csv = ws.project / "seeds" / "raw" / f"{FEED}.csv"
    original = csv.read_bytes()
    badinput.write_feed(edit(badinput.read_feed(csv)), csv)
    try:
        with dbt_env(published, ws.root):
            rc = build_main(["build", *FAST, "--select", f"{FEED}+", *SQL_LAYER, "--project-dir", str(ws.project),
                             "--profiles-dir", str(ws.project / "profiles")])
    finally:
        csv.write_bytes(original)
    err = capsys.readouterr().err
    assert rc == 1, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert "nothing was published" in err
    assert published.stat().st_ino == inode and marts_fingerprint(published) == ws.fingerprint
