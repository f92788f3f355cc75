"""Bring-your-own-data input contract: every user mistake ends with exit code 2 and
one message naming the file or YAML, the column, the rule and example rows; no
traceback (media_impact.mmm.inputs)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from media_impact.mmm.__main__ import main


def _world(tmp_path, n=60, edit=None, cfg_edit=None):
    rng = np.random.default_rng(0)
    weeks = pd.date_range("2023-01-02", periods=n, freq="7D")
    df = pd.DataFrame({"week": weeks.strftime("%Y-%m-%d"), "revenue": 1000 + rng.normal(0, 10, n),
                       "tv": rng.uniform(10, 50, n), "search": rng.uniform(5, 20, n),
                       "price": rng.normal(1, 0.01, n), "promo": (rng.random(n) < 0.1).astype(int)})
    df = df.astype({"revenue": object, "tv": object})
    if edit:
        df = edit(df)
    df.to_csv(tmp_path / "data.csv", index=False)
    cfg = {"name": "t", "data": {"path": "data.csv", "date_column": "week", "kpi_column": "revenue",
                                 "spend_columns": {"tv": "tv", "search": "search"}, "controls": ["price", "promo"]}}
    if cfg_edit:
        cfg_edit(cfg)
    (tmp_path / "t.yml").write_text(yaml.safe_dump(cfg))
    return str(tmp_path / "t.yml")


def _run(path, capsys):
    rc = main(["fit", "--config", path])
    return rc, capsys.readouterr().err


def _set(df, col, i, v):
    df.loc[i, col] = v
    return df


CASES = {
    "missing column": (lambda d: d.drop(columns=["search"]), None, ["'search'", "spend_columns.search", "The file has"]),
    "misspelt yaml key": (None, lambda c: c["data"].__setitem__("spend_column", c["data"].pop("spend_columns")),
                          ["unknown key 'spend_column'", "did you mean 'spend_columns'"]),
    "kpi as text": (lambda d: _set(d, "revenue", 3, "$587,128.55"), None,
                    ["column 'revenue'", "a number in every row", "row 5", "$587,128.55"]),
    "kpi n/a": (lambda d: _set(d, "revenue", 7, "n/a"), None, ["column 'revenue'", "row 9"]),
    "week labels": (lambda d: _set(d, "week", 2, "Week 3"), None, ["column 'week'", "do not parse", "Week 3"]),
    "ambiguous day-first": (lambda d: d.assign(week=pd.to_datetime(d.week).dt.strftime("%m/%d/%Y")).head(60).pipe(
        lambda x: x[pd.to_datetime(x.week).dt.day <= 12]).reset_index(drop=True), None, ["ambiguous", "date_format"]),
    "duplicate week": (lambda d: pd.concat([d, d.iloc[[10]]]).reset_index(drop=True), None,
                       ["one row per week", "share a week"]),
    "gap": (lambda d: d.drop(index=20).reset_index(drop=True), None, ["consecutive weeks", "14 days"]),
    "negative spend": (lambda d: _set(d, "tv", 4, -7.5), None, ["column 'tv'", "never negative", "row 6"]),
    "too little history": (lambda d: d.head(20), None, ["20 weeks", "52"]),
    "channel never spends": (lambda d: d.assign(search=0.0), None, ["column 'search'", "zero in every row"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, case):
    edit, cfg_edit, needles = CASES[case]
    rc, err = _run(_world(tmp_path, 60, edit, cfg_edit), capsys)
    assert rc == 2, err
    assert "Traceback" not in err
    assert err.startswith("input error: ")
    for needle in needles:
        assert needle in err, (needle, err)


def test_day_first_dates_with_a_date_format_are_read(tmp_path, capsys):
    path = _world(tmp_path, 60, lambda d: d.assign(week=pd.to_datetime(d.week).dt.strftime("%d/%m/%Y")),
                  lambda c: c["data"].__setitem__("date_format", "%d/%m/%Y"))
    from media_impact.mmm.__main__ import read_inputs

    cfg, frame, _ = read_inputs(path)
    assert frame.week.iloc[0] == pd.Timestamp("2023-01-02") and frame.week.diff().dt.days.iloc[1:].eq(7).all()


def test_missing_data_file_and_config(tmp_path, capsys):
    rc, err = _run(_world(tmp_path, 60, cfg_edit=lambda c: c["data"].__setitem__("path", "nope.csv")), capsys)
    assert rc == 2 and "data file not found" in err and "nope.csv" in err
    rc, err = _run(str(tmp_path / "absent.yml"), capsys)
    assert rc == 2 and "config file not found" in err


def test_the_cli_process_prints_no_traceback(tmp_path):
    path = _world(tmp_path, 60, lambda d: _set(d, "revenue", 3, "n/a"))
    r = subprocess.run([sys.executable, "-m", "media_impact.mmm", "fit", "--config", path],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "column 'revenue'" in r.stderr


def test_the_shipped_example_fits_from_a_fresh_clone(tmp_path):
    """README: `python -m media_impact.mmm fit --config examples/mmm/world.yml` works with
    nothing outside the repository, and reports every channel with an interval."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    r = subprocess.run([sys.executable, "-m", "media_impact.mmm", "fit", "--config",
                        str(root / "examples/mmm/world.yml"), "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    roi = pd.read_csv(tmp_path / "mmm_channel_roi.csv")
    truth = pd.read_csv(root / "examples/mmm/truth.csv")
    assert sorted(roi.channel_id) == sorted(truth.channel_id)
    assert (roi.roi_lower_90 <= roi.roi).all() and (roi.roi <= roi.roi_upper_90).all()
