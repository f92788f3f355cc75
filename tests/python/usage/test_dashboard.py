"""The dashboard, headless with Streamlit's AppTest: every page against a built
database shows numbers from it, the optimiser reruns on the stored curves, and a
missing database gives a plain message instead of a traceback."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[3]
APP = str(REPO_ROOT / "dashboard" / "app.py")
PAGES = ["roi", "lenses", "curves", "scenario", "forecast", "quality"]


def _run(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["page"] = page
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.info, *at.warning, *at.error, *at.header, *at.caption)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_missing_database_shows_a_message_not_a_traceback(page, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDIA_IMPACT_DB", str(tmp_path / "not_built.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    at = _run(page)
    assert not at.exception, at.exception
    shown = _texts(at)
    if page == "quality":
        assert "No dbt run results" in shown
    else:
        assert "not ready" in shown and "make build" in shown


@pytest.fixture
def built(built_db, monkeypatch):
    """The built database, and the target folder of the build that made it (run results)."""
    import os

    monkeypatch.setenv("MEDIA_IMPACT_DB", str(built_db))
    for target in (Path(built_db).parent / "target", os.environ.get("MEDIA_IMPACT_TEST_TARGET")):
        if target and (Path(target) / "run_results.json").exists():
            monkeypatch.setenv("DBT_TARGET_PATH", str(target))
            break
    else:
        monkeypatch.setenv("DBT_TARGET_PATH", str(Path(built_db).parent / "no_target"))
    return built_db


@pytest.mark.parametrize("page", PAGES)
def test_each_page_shows_numbers_from_the_built_database(page, built):
    import os

    if page == "quality" and not Path(os.environ["DBT_TARGET_PATH"], "run_results.json").exists():
        pytest.skip("reused database without its build's run results (set MEDIA_IMPACT_TEST_TARGET)")
    at = _run(page)
    assert not at.exception, at.exception
    shown = _texts(at)
    assert "not in this database yet" not in shown and "not ready" not in shown, shown[:2000]
    values = [m.value for m in at.metric]
    assert values and all(re.search(r"\d", str(v)) for v in values), values
    assert len(at.dataframe) >= 1


def test_roi_page_numbers_match_the_table(built):
    import duckdb

    con = duckdb.connect(str(built), read_only=True)
    try:
        spend, inc = con.execute(
            "select sum(spend_usd), sum(incremental_revenue_usd) from mmm.mmm_channel_roi "
            "where country_id = 'us' and is_preferred").fetchone()
    finally:
        con.close()
    at = _run("roi")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Blended ROI"] == f"{inc / spend:.2f}"


def test_optimise_reruns_on_the_stored_curves(built):
    at = _run("curves")
    assert not at.exception, at.exception
    budget_slider = next(s for s in at.slider if s.label.startswith("Total budget"))
    lo, hi = budget_slider.min, budget_slider.max
    target = round(lo + 0.25 * (hi - lo), 1)
    budget_slider.set_value(target)
    at.button[0].click().run()
    assert not at.exception, at.exception
    plan = at.dataframe[0].value
    # the whole budget is allocated, within bounds, and the optimum beats nothing-changed
    assert plan["spend_usd"].sum() == pytest.approx(target * 1e6, rel=1e-6)
    assert (plan["spend_usd"] >= plan["lower_usd"] - 1e-6).all()
    assert (plan["spend_usd"] <= plan["upper_usd"] + 1e-6).all()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Budget optimised"].startswith("$")
