"""The leadership questions in analyses/ compile with dbt and run on the built
database, and their answers hold together."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import dbt_env, private_copy

REPO_ROOT = Path(__file__).resolve().parents[3]
ANALYSES = sorted(p.stem for p in (REPO_ROOT / "analyses").glob("*.sql"))


@pytest.fixture(scope="module")
def answers(built_db, tmp_path_factory):
    """Compile every analysis against the built database and run it there (read-only)."""
    import duckdb

    work = tmp_path_factory.mktemp("analyses")
    # dbt opens its database for writing: a private copy, so other workers keep reading
    env = dbt_env(private_copy(built_db, work / "db"), work, MEDIA_IMPACT_TARGET="duckdb")
    result = subprocess.run([sys.executable, "-m", "dbt.cli.main", "compile", "--select", "path:analyses"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    compiled = work / "target" / "compiled" / "media_impact" / "analyses"
    out = {}
    con = duckdb.connect(str(built_db), read_only=True)
    try:
        for name in ANALYSES:
            sql = (compiled / f"{name}.sql").read_text()
            out[name] = con.execute(sql).df()
    finally:
        con.close()
    return out


ANSWER_COLUMNS = 6  # `dbt show` prints the first six columns of a preview (agate's print_table)
SHOWN_WIDTH = 20   # and cuts every name and value at 20 characters


@pytest.mark.parametrize("name", ANALYSES)
def test_the_answer_fits_what_dbt_show_prints(answers, name):
    """The first six columns are the documented answer columns, and their names and values are
    short enough that `dbt show` prints them whole."""
    import yaml

    documented = {a["name"]: a for a in yaml.safe_load((REPO_ROOT / "analyses" / "_analyses.yml").read_text())["analyses"]}
    answer = [c["name"] for c in documented[name]["columns"]]
    df = answers[name]
    assert list(df.columns[:ANSWER_COLUMNS]) == answer, list(df.columns)
    for col in answer:
        assert len(col) <= SHOWN_WIDTH, col
        widest = df[col].dropna().map(lambda v: len(str(v))).max() if df[col].notna().any() else 0
        assert widest <= SHOWN_WIDTH, (col, df[col].tolist()[:3])


def test_the_five_questions_are_there():
    assert {"which_channels_truly_influence_purchases", "are_we_overspending_on_retargeting",
            "what_if_we_reallocate_5m", "demand_by_market_next_quarter",
            "did_the_launch_campaign_work"} <= set(ANALYSES)


@pytest.mark.parametrize("name", ANALYSES)
def test_each_analysis_returns_rows(answers, name):
    assert len(answers[name]) > 0, name


def test_channels_question_covers_every_channel(answers, built_db):
    import duckdb

    df = answers["which_channels_truly_influence_purchases"]
    con = duckdb.connect(str(built_db), read_only=True)
    n_channels = con.execute("select count(*) from reference.ref_channels").fetchone()[0]
    con.close()
    assert len(df) == n_channels and df["channel_id"].is_unique
    assert df["last_touch_credit_share"].sum() == pytest.approx(1.0, abs=1e-6)
    assert set(df["last_touch_flag"]) <= {"over_credited", "under_credited", "in_line", "unknown"}


def test_retargeting_question(answers):
    df = answers["are_we_overspending_on_retargeting"]
    assert df["is_retargeting"].astype(bool).any()
    for _, g in df.groupby("country_id"):
        assert g["spend_share"].sum() == pytest.approx(1.0, abs=0.0005 * len(g))  # 3 decimals per row
    assert set(df["verdict"]) <= {"overspent", "underspent", "about right"}


def test_reallocation_moves_money_without_creating_it(answers):
    df = answers["what_if_we_reallocate_5m"]
    for _, g in df.groupby("country_id"):
        assert g["spend_change_usd"].sum() == pytest.approx(0.0, abs=0.5 * len(g))  # whole dollars per row
        moved = g.loc[g["spend_change_usd"] > 0, "spend_change_usd"].sum()
        assert 0 < moved <= 5_000_000 + 1
        assert g["country_gain_usd"].nunique() == 1
        assert g["country_gain_usd"].iloc[0] == pytest.approx(g["revenue_change_usd"].sum(), abs=0.5 * len(g))


def test_next_quarter_demand_is_ordered(answers):
    df = answers["demand_by_market_next_quarter"]
    assert (df["units_p10"] <= df["units_p50"] + 1e-9).all() and (df["units_p50"] <= df["units_p90"] + 1e-9).all()
    assert (df["weeks"] == 13).all()
    assert df["market_id"].is_unique


def test_launch_question_finds_the_launch_and_its_flight(answers):
    df = answers["did_the_launch_campaign_work"]
    assert df["launched_product_id"].nunique() == 1
    # the launch flight adds spend on top of always-on media
    assert (df["spend_flight_usd"] > df["spend_before_usd"]).all()
    assert (df["launch_units_flight"] > 0).all()
