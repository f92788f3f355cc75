"""Raw feed files against their declared columns, before dbt loads them by position
(media_impact.pipeline.raw_files): renamed, missing, extra and reordered columns, an
empty feed and CSV debris each stop the build with the feed, the column and rows."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from media_impact.pipeline.build import main as build_main
from media_impact.pipeline.raw_files import check_raw_files, declared_columns

ROOT = Path(__file__).resolve().parents[3]
FEED = "raw_meta__ads_insights"


@pytest.fixture()
def project(tmp_path):
    (tmp_path / "seeds" / "raw").mkdir(parents=True)
    for p in (ROOT / "seeds" / "raw").glob("*"):
        shutil.copy(p, tmp_path / "seeds" / "raw" / p.name)
    return tmp_path


def _edit(project, fn):
    path = project / "seeds" / "raw" / f"{FEED}.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(fn(lines)) + "\n")


def test_the_committed_feeds_pass():
    assert check_raw_files(ROOT) == []


@pytest.mark.parametrize(("name", "fn", "needles"), [
    ("renamed", lambda ls: [ls[0].replace("spend", "amount_spent")] + ls[1:],
     ["missing spend", "unexpected amount_spent"]),
    ("missing", lambda ls: [",".join(x.split(",")[:-1]) for x in ls[:1]] + ls[1:], ["missing inline_link_clicks"]),
    ("extra", lambda ls: [ls[0] + ",reach"] + ls[1:], ["unexpected reach"]),
    ("reordered", lambda ls: [ls[0].replace("date_start,date_stop", "date_stop,date_start")] + ls[1:],
     ["reordered: date_start at position 2 (declared 1)"]),
    ("empty", lambda ls: ls[:1], ["no data rows"]),
    ("stray quote", lambda ls: ls[:1] + [ls[1].replace(",act_", ',"act_', 1)] + ls[2:],
     ["check csv_fields", "line 2", "check csv_debris"]),
])
def test_bad_file_is_named(project, name, fn, needles):
    _edit(project, fn)
    errors = check_raw_files(project)
    assert errors and all(e.startswith(f"feed {FEED}") for e in errors), errors
    text = "\n".join(errors)
    for needle in needles:
        assert needle in text, (needle, text)


def test_the_build_command_stops_before_dbt(project, capsys):
    _edit(project, lambda ls: ls[:1])
    rc = build_main(["build", "--project-dir", str(project)])
    err = capsys.readouterr().err
    assert rc == 1 and f"feed {FEED}: no data rows" in err and "nothing was built or published" in err


def test_declared_columns_cover_every_feed():
    declared = declared_columns(ROOT)
    assert {p.stem for p in (ROOT / "seeds" / "raw").glob("*.csv")} == set(declared)
    assert all(declared.values())
