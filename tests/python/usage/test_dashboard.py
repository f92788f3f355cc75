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
PAGES = ["roi", "lenses", "curves", "scenario", "fit", "forecast", "quality"]


def _run(page: str, country: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["page"] = page
    at.run()
    if country is not None:
        at.selectbox(key="country").set_value(country).run()
    return at


def _sql(db, sql: str, params=()):
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


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
    spend, inc, lo, hi = _sql(built, "select sum(spend_usd), sum(incremental_revenue_usd), "
                                     "sum(incremental_revenue_lower_90_usd), sum(incremental_revenue_upper_90_usd) "
                                     "from mmm.mmm_channel_roi where country_id = 'us' and is_preferred").iloc[0]
    s52, r52, weeks = _sql(built, "select sum(spend_usd), sum(incremental_revenue_usd), max(window_weeks) "
                                  "from mmm.mmm_response_curves where country_id = 'us' and is_current_spend "
                                  "and run_id in (select run_id from mmm.mmm_model_runs where is_preferred)").iloc[0]
    weeks = int(weeks)
    at = _run("roi")
    metrics = {m.label: m for m in at.metric}
    blended = metrics["Blended ROI, whole history"]
    assert blended.value == f"{inc / spend:.2f}"
    assert blended.delta == f"90%: {lo / spend:.2f} – {hi / spend:.2f}"
    # the planning window's tiles say which window they cover, and agree with the curves at today's spend
    assert metrics[f"Blended ROI, last {weeks} weeks"].value == f"{r52 / s52:.2f}"
    assert metrics[f"Media spend, last {weeks} weeks"].value == f"${s52 / 1e6:,.2f}M"
    n_weeks = _sql(built, "select count(distinct week_start) from mmm.mmm_decomposition_weekly "
                          "where country_id = 'us' and model_scope = 'panel'").iloc[0, 0]
    assert any(f"whole history, {n_weeks} weeks" in h.value for h in at.subheader)


def test_tables_hide_internal_ids(built):
    for page in ("roi", "lenses", "curves", "scenario", "fit"):
        at = _run(page)
        for frame in at.dataframe:
            assert not {"run_id", "data_fingerprint", "settings_json"} & set(frame.value.columns), page


def test_lenses_follow_the_country_selector(built):
    ca_ctv = _sql(built, "select sum(spend_usd) from marts.fct_channel_spend_weekly "
                         "where country_id = 'ca' and channel_id = 'ctv'").iloc[0, 0]
    all_ctv = _sql(built, "select spend_usd from marts.channel_lenses where channel_id = 'ctv'").iloc[0, 0]
    ca_roi = _sql(built, "select roi from mmm.mmm_channel_roi where country_id = 'ca' and is_preferred "
                         "and channel_id = 'ctv'").iloc[0, 0]
    at = _run("lenses", country="ca")
    assert not at.exception, at.exception
    view = at.dataframe[0].value.set_index("channel_id")
    assert view.loc["ctv", "spend_usd"] == pytest.approx(ca_ctv) and ca_ctv < all_ctv
    assert view.loc["ctv", "mmm_roi"] == pytest.approx(ca_roi)
    assert "retail_media_walmart" not in view.index  # no Walmart spend in Canada


def test_scenario_gain_and_the_every_scenario_table(built):
    gain = _sql(built, "select max(scenario_gain_usd) from mmm.mmm_scenarios where country_id = 'us' "
                       "and scenario_id = 'reallocate' and model_scope = 'panel'").iloc[0, 0]
    at = _run("scenario")
    metrics = {m.label: m.value for m in at.metric}
    gain_label = next(k for k in metrics if k.startswith("Gain, last "))
    assert metrics[gain_label] == f"${gain / 1e6:,.2f}M"
    summary = at.dataframe[-1].value
    assert len(summary) == _sql(built, "select count(distinct scenario_id) from mmm.mmm_scenarios").iloc[0, 0]


def test_fit_page_shows_the_runs_metrics(built):
    r2, mape_oos, nrmse_oos = _sql(built, "select r2_train, mape_oos, nrmse_oos from mmm.mmm_model_runs "
                                          "where country_id = 'us' and is_preferred").iloc[0]
    at = _run("fit")
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["R² (in-sample)"] == f"{r2:.3f}"  # recomputed from the weekly table, equal to the stored one
    assert metrics["MAPE (out-of-sample)"] == f"{100 * mape_oos:.2f}%"
    assert metrics["NRMSE (out-of-sample)"] == f"{nrmse_oos:.3f}"
    assert {"Durbin-Watson", "Lag-1 autocorrelation"} <= set(metrics)
    assert len(at.get("vega_lite_chart")) >= 3  # actual vs fitted, residuals, decomposition


def test_quality_page_names_tests_by_type_model_and_column(built):
    import os

    if not Path(os.environ["DBT_TARGET_PATH"], "manifest.json").exists():
        pytest.skip("reused database without its build's manifest")
    at = _run("quality")
    every = at.dataframe[-1].value
    assert {"model", "test_type", "column"} <= set(every.columns) and "name" not in every.columns
    assert (every["test_type"] != "").mean() > 0.95
    assert "mmm_channel_roi" in set(every["model"])


def test_an_older_database_gives_notes_not_tracebacks(built, tmp_path, monkeypatch):
    """Tables of an older build, without the columns newer pages read: every page still renders."""
    import duckdb

    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    try:
        con.execute(f"attach '{built}' as b (read_only)")
        for schema in ("marts", "mmm"):
            con.execute(f"create schema {schema}")
        con.execute("create table marts.fct_channel_spend_weekly as select * from b.marts.fct_channel_spend_weekly")
        con.execute("create table marts.channel_lenses as select channel_id, last_touch_credit_share "
                    "from b.marts.channel_lenses")
        con.execute("create table mmm.mmm_channel_roi as select country_id, channel_id, spend_usd, "
                    "incremental_revenue_usd, roi from b.mmm.mmm_channel_roi where is_preferred")
        con.execute("create table mmm.mmm_response_curves as select country_id, channel_id, spend_usd "
                    "from b.mmm.mmm_response_curves")
        con.execute("create table mmm.mmm_scenarios as select country_id, scenario_id, channel_id, spend_usd "
                    "from b.mmm.mmm_scenarios")
        con.execute("create table mmm.mmm_model_runs as select country_id, model_scope, is_preferred "
                    "from b.mmm.mmm_model_runs")
        con.execute("create table mmm.mmm_decomposition_weekly as select country_id, model_scope, week_start, "
                    "component, contribution_usd from b.mmm.mmm_decomposition_weekly")
    finally:
        con.close()
    monkeypatch.setenv("MEDIA_IMPACT_DB", str(old))
    for page in PAGES:
        at = _run(page)
        assert not at.exception, (page, at.exception)
        shown = _texts(at)
        if page in ("curves", "scenario", "fit"):
            assert "older version" in shown, (page, shown[:1000])


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


def test_intervals_are_shown_where_the_tables_hold_them(built, tmp_path, monkeypatch):
    """A posterior run fills the planning tables' interval columns (the sample world's Laplace
    run leaves them null): the pages then write the intervals instead of the note."""
    import shutil

    import duckdb

    db = tmp_path / "posterior.duckdb"
    shutil.copy(built, db)
    con = duckdb.connect(str(db))
    try:
        con.execute("update mmm.mmm_scenarios set scenario_gain_lower_90_usd = 0.5 * scenario_gain_usd, "
                    "scenario_gain_upper_90_usd = 1.5 * scenario_gain_usd")
        con.execute("update mmm.mmm_response_curves set incremental_revenue_lower_90_usd = 0.8 * incremental_revenue_usd, "
                    "incremental_revenue_upper_90_usd = 1.25 * incremental_revenue_usd")
        gain = con.execute("select max(scenario_gain_usd) from mmm.mmm_scenarios where country_id = 'us' "
                           "and scenario_id = 'reallocate' and model_scope = 'panel'").fetchone()[0]
        r52 = con.execute("select sum(incremental_revenue_usd) from mmm.mmm_response_curves where country_id = 'us' "
                          "and is_current_spend and model_scope = 'panel'").fetchone()[0]
    finally:
        con.close()
    monkeypatch.setenv("MEDIA_IMPACT_DB", str(db))
    at = _run("scenario")
    tile = next(m for m in at.metric if m.label.startswith("Gain, last "))
    assert tile.delta == f"90%: ${0.5 * gain / 1e6:,.2f}M – ${1.5 * gain / 1e6:,.2f}M"
    assert "No 90% interval for the scenario's gain" not in _texts(at)
    at = _run("roi")
    window = next(m for m in at.metric if m.label.startswith("Incremental revenue, last "))
    assert window.delta == f"90%: ${0.8 * r52 / 1e6:,.2f}M – ${1.25 * r52 / 1e6:,.2f}M"
    at = _run("curves")
    assert not at.exception and "No 90% interval for the curves" not in _texts(at)
