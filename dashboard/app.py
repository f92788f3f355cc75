"""media_impact dashboard: what media spend does to retail sales.

    streamlit run dashboard/app.py            # reads MEDIA_IMPACT_DB (default media_impact.duckdb)

Opens the DuckDB file read-only, and only for the moment of each read, so a
`dbt build` can run while the dashboard is open. Pages (sidebar, or ?page=...):
roi, lenses, curves, scenario, forecast, quality.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

try:
    from media_impact import dashboard_data as dd
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from media_impact import dashboard_data as dd

PAGES = {
    "roi": "Channel ROI",
    "lenses": "Three lenses",
    "curves": "Response curves & optimiser",
    "scenario": "$5M reallocation",
    "forecast": "Demand forecasts",
    "quality": "Data quality",
}


# ------------------------------------------------------------------------------------------------
# data access (cached per database file and modification time)
# ------------------------------------------------------------------------------------------------

def _db_key() -> tuple[str, float]:
    path = dd.db_path()
    return str(path), (path.stat().st_mtime if path.exists() else 0.0)


@st.cache_data(show_spinner=False)
def _tables(db_key) -> set[str]:
    con = dd.connect(db_key[0])
    try:
        return dd.list_tables(con)
    finally:
        con.close()


@st.cache_data(show_spinner=False)
def _read(db_key, relation: str) -> pd.DataFrame | None:
    con = dd.connect(db_key[0])
    try:
        return dd.read_table(con, relation)
    finally:
        con.close()


@st.cache_data(show_spinner=False)
def _query(db_key, sql: str) -> pd.DataFrame:
    con = dd.connect(db_key[0])
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def table(relation: str) -> pd.DataFrame | None:
    return _read(_db_key(), relation)


def has(relation: str) -> bool:
    return relation in _tables(_db_key())


def pick(df: pd.DataFrame, *candidates: str) -> str | None:
    """First of the candidate column names that the table has."""
    return next((c for c in candidates if c in df.columns), None)


def not_built(relation: str, owner: str) -> None:
    st.info(f"`{relation}` is not in this database yet ({owner}). Run `make build` to create it.")


def usd(x: float) -> str:
    if pd.isna(x):
        return "n/a"
    sign = "-" if x < 0 else ""
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{sign}${abs(x) / div:,.2f}{suffix}"
    return f"{sign}${abs(x):,.0f}"


def country() -> str | None:
    """The country chosen in the sidebar (model outputs are per country)."""
    return st.session_state.get("country")


def preferred_fit(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of the chosen country, from the MMM fit flagged `is_preferred` (the pooled
    market-level fit over the national one) when the table holds several fits."""
    if "country_id" in df.columns and country() is not None:
        df = df[df["country_id"].astype(str) == country()]
    if "is_preferred" in df.columns:
        return df[df["is_preferred"].astype(bool)]
    if "model_scope" in df.columns and df["model_scope"].nunique() > 1 and has("mmm.mmm_channel_roi"):
        roi = table("mmm.mmm_channel_roi")
        if "is_preferred" in roi.columns:
            scopes = set(roi.loc[roi["is_preferred"].astype(bool), "model_scope"].astype(str))
            df = df[df["model_scope"].astype(str).isin(scopes)]
    return df


# ------------------------------------------------------------------------------------------------
# pages
# ------------------------------------------------------------------------------------------------

def interval_method() -> str:
    """How the stored intervals were drawn, read from the preferred run's settings."""
    runs = table("mmm.mmm_model_runs")
    if runs is None or "settings_json" not in runs.columns or not len(runs):
        return "90% intervals"
    runs = preferred_fit(runs)
    settings = json.loads(runs["settings_json"].iloc[0])
    method = settings.get("interval_method") or (settings.get("bootstrap") or {}).get("method", "posterior")
    return {"posterior": "90% intervals from the posterior (MCMC draws)",
            "laplace": "90% intervals from Laplace draws of the curve parameters",
            "bootstrap": "90% intervals from a block bootstrap over weeks"}.get(method, "90% intervals")


def page_roi() -> None:
    st.header("Channel ROI, with 90% intervals")
    roi = table("mmm.mmm_channel_roi")
    if roi is None:
        return not_built("mmm.mmm_channel_roi", "the MMM")
    roi = preferred_fit(roi)
    st.caption("Incremental revenue per dollar from the marketing mix model over the whole history, "
               f"carryover counted; {interval_method()}.")
    if "model_scope" in roi.columns and len(roi):
        st.caption(f"Fit: {roi['model_scope'].iloc[0]} model, country {country()}.")
    spend_col = pick(roi, "spend_usd")
    inc_col = pick(roi, "incremental_revenue_usd", "incremental_revenue")
    if spend_col and inc_col:
        spend, inc = roi[spend_col].sum(), roi[inc_col].sum()
        c1, c2, c3 = st.columns(3)
        c1.metric("Media spend", usd(spend))
        c2.metric("Incremental revenue", usd(inc))
        c3.metric("Blended ROI", f"{inc / spend:.2f}" if spend else "n/a")
    lo, hi = pick(roi, "roi_lower_90"), pick(roi, "roi_upper_90")
    base = alt.Chart(roi).encode(y=alt.Y("channel_id:N", sort="-x", title=None))
    layers = [base.mark_bar(opacity=0.7).encode(
        x=alt.X("roi:Q", title="ROI (incremental revenue per $)"),
        tooltip=[c for c in ("channel_id", "roi", lo, hi, "marginal_roi", spend_col) if c])]
    if lo and hi:
        layers.append(base.mark_rule(strokeWidth=2, color="black").encode(x=f"{lo}:Q", x2=f"{hi}:Q"))
    if "marginal_roi" in roi.columns:
        layers.append(base.mark_point(shape="diamond", color="firebrick", filled=True, size=70)
                      .encode(x="marginal_roi:Q"))
    st.altair_chart(alt.layer(*layers).properties(height=38 * max(len(roi), 3)), width="stretch")
    st.caption("Bars: ROI; black lines: 90% interval; red diamonds: marginal ROI of the next dollar.")
    st.dataframe(roi, hide_index=True, width="stretch")


def page_lenses() -> None:
    st.header("Three lenses on what each channel drives")
    st.caption("Last-touch and Markov credit from clean-room journeys, incremental revenue from the MMM, "
               "and iROAS from geo experiments, side by side.")
    lenses = None
    for rel in ("marts.channel_lenses", "attribution.channel_lenses", "marts.fct_channel_lenses"):
        if has(rel):
            lenses = table(rel)
            break
    if lenses is None:
        return not_built("marts.channel_lenses", "attribution")
    share_cols = {"last_touch_credit_share": "last touch", "markov_credit_share": "Markov",
                  "shapley_credit_share": "Shapley", "mmm_incremental_revenue_share": "MMM"}
    share_cols = {k: v for k, v in share_cols.items() if k in lenses.columns}
    if share_cols:
        long = lenses.melt(id_vars=["channel_id"], value_vars=list(share_cols), var_name="lens", value_name="share")
        long["lens"] = long["lens"].map(share_cols)
        st.altair_chart(alt.Chart(long).mark_bar().encode(
            x=alt.X("share:Q", axis=alt.Axis(format="%"), title="share of credit"),
            y=alt.Y("lens:N", title=None), color="lens:N", row=alt.Row("channel_id:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            tooltip=["channel_id", "lens", alt.Tooltip("share:Q", format=".1%")],
        ).properties(height=alt.Step(12)), width="content")
    flag = pick(lenses, "last_touch_credit_flag", "credit_flag")
    if flag:
        over = lenses[lenses[flag].astype(str).str.contains("over", case=False, na=False)]["channel_id"].tolist()
        under = lenses[lenses[flag].astype(str).str.contains("under", case=False, na=False)]["channel_id"].tolist()
        c1, c2 = st.columns(2)
        c1.metric("Over-credited by last touch", len(over), help=", ".join(over))
        c2.metric("Under-credited by last touch", len(under), help=", ".join(under))
        if over:
            c1.write(", ".join(over))
        if under:
            c2.write(", ".join(under))
    st.dataframe(lenses, hide_index=True, width="stretch")


def _curves_frame() -> tuple[pd.DataFrame | None, dict]:
    curves = table("mmm.mmm_response_curves")
    if curves is None:
        return None, {}
    cols = {
        "spend": pick(curves, "spend_usd", "total_spend_usd"),
        "revenue": pick(curves, "incremental_revenue_usd", "incremental_revenue"),
        "marginal": pick(curves, "marginal_roi", "marginal_return"),
    }
    return curves, cols


def page_curves() -> None:
    st.header("Response curves and budget optimiser")
    curves, cols = _curves_frame()
    if curves is None:
        return not_built("mmm.mmm_response_curves", "the MMM")
    curves = preferred_fit(curves)
    spend_col, rev_col = cols["spend"], cols["revenue"]
    st.altair_chart(alt.Chart(curves).mark_line().encode(
        x=alt.X(f"{spend_col}:Q", title="spend (USD)"), y=alt.Y(f"{rev_col}:Q", title="incremental revenue (USD)"),
        color="channel_id:N", tooltip=["channel_id", spend_col, rev_col] + ([cols["marginal"]] if cols["marginal"] else []),
    ).properties(height=360), width="stretch")

    stored = dd.curves_from_table(curves, spend_col=spend_col, revenue_col=rev_col)
    current: dict = {}
    if "is_current_spend" in curves.columns:  # the grid point at today's spend
        now = curves[curves["is_current_spend"].astype(bool)]
        current = now.groupby("channel_id")[spend_col].sum().to_dict()
    current = {c: float(current.get(c, stored[c].spend[-1] / 2)) for c in stored}
    total_now = sum(current.values())
    st.subheader("Optimise a total budget")
    band = st.slider("Allowed change per channel (+-% of current spend)", 10, 100, 50, step=5) / 100
    bounds = dd.bounds_around(current, band=band, curves=stored)
    lo_sum, hi_sum = sum(b[0] for b in bounds.values()), sum(b[1] for b in bounds.values())
    default_m = float(round(min(max(total_now, lo_sum), hi_sum) / 1e6, 1))
    budget_m = st.slider("Total budget ($M)", float(round(lo_sum / 1e6, 1)), float(round(hi_sum / 1e6, 1)),
                         default_m, step=0.1)
    key = f"optimised_{country()}_{band}"  # a plan belongs to one country and one band
    if st.button("Optimise", type="primary") or key not in st.session_state:
        # the slider's default stands for today's total exactly, not its rounding
        budget = total_now if budget_m == default_m else budget_m * 1e6
        budget = min(max(budget, lo_sum), hi_sum)
        st.session_state[key] = (budget, dd.optimise_budget(stored, budget, bounds))
    budget, plan = st.session_state[key]
    plan = plan.copy()
    plan["current_spend_usd"] = plan["channel_id"].map(current)
    plan["current_revenue_usd"] = [float(stored[c](current[c])) for c in plan["channel_id"]]
    gain = plan["incremental_revenue_usd"].sum() - plan["current_revenue_usd"].sum()
    c1, c2, c3 = st.columns(3)
    c1.metric("Budget optimised", usd(budget), delta=usd(budget - total_now) + " vs current")
    c2.metric("Incremental revenue at optimum", usd(plan["incremental_revenue_usd"].sum()),
              delta=usd(gain) + " vs current plan")
    interior = plan[plan["at_bound"] == ""]
    c3.metric("Equalised marginal ROI", f"{interior['marginal_roi'].median():.2f}" if len(interior) else "n/a")
    st.dataframe(plan[["channel_id", "current_spend_usd", "spend_usd", "lower_usd", "upper_usd",
                       "current_revenue_usd", "incremental_revenue_usd", "marginal_roi", "at_bound"]],
                 hide_index=True, width="stretch")
    alloc = table("mmm.mmm_budget_allocation")
    if alloc is not None:
        alloc = preferred_fit(alloc)
        with st.expander("The MMM's stored allocation (from dbt build)"):
            st.dataframe(alloc, hide_index=True, width="stretch")


def page_scenario() -> None:
    st.header("What if we move $5M between channels?")
    scen = table("mmm.mmm_scenarios")
    if scen is None:
        return not_built("mmm.mmm_scenarios", "the MMM")
    scen = preferred_fit(scen)
    id_col = pick(scen, "scenario_id", "scenario_name", "scenario")
    chosen = scen
    if id_col:
        ids = list(dict.fromkeys(scen[id_col].astype(str)))
        default = next((i for i, n in enumerate(ids) if "realloc" in n.lower()), 0)
        labels = {}
        if "scenario_name" in scen.columns:
            labels = scen.drop_duplicates(id_col).set_index(id_col)["scenario_name"].astype(str).to_dict()
        choice = st.selectbox("Scenario", ids, index=default, format_func=lambda i: labels.get(i, i))
        chosen = scen[scen[id_col].astype(str) == choice]
        if choice in labels:
            st.subheader(labels[choice])
    rev = pick(chosen, "incremental_revenue_usd", "scenario_incremental_revenue_usd")
    base_rev = pick(chosen, "current_incremental_revenue_usd", "baseline_incremental_revenue_usd")
    cols = st.columns(3)
    if rev:
        cols[0].metric("Incremental revenue in scenario", usd(chosen[rev].sum()))
    if base_rev:
        cols[1].metric("Incremental revenue now", usd(chosen[base_rev].sum()))
    if rev and base_rev:
        change = chosen[rev].sum() - chosen[base_rev].sum()
        cols[2].metric("Change", usd(change), delta=f"{change / chosen[base_rev].sum():+.1%}"
                       if chosen[base_rev].sum() else None)
    if {"spend_usd", "current_spend_usd", "channel_id"} <= set(chosen.columns):
        long = chosen.melt(id_vars=["channel_id"], value_vars=["current_spend_usd", "spend_usd"],
                           var_name="plan", value_name="usd")
        long["plan"] = long["plan"].map({"current_spend_usd": "current", "spend_usd": "scenario"})
        st.altair_chart(alt.Chart(long).mark_bar().encode(
            x=alt.X("usd:Q", title="spend (USD)"), y=alt.Y("plan:N", title=None), color="plan:N",
            row=alt.Row("channel_id:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")), tooltip=["channel_id", "plan", "usd"],
        ).properties(height=alt.Step(14)), width="content")
    st.dataframe(chosen, hide_index=True, width="stretch")


def page_forecast() -> None:
    st.header("Demand forecasts by market and retailer")
    fc = table("forecast.forecast_weekly")
    if fc is None:
        return not_built("forecast.forecast_weekly", "forecasting")
    if "country_id" in fc.columns and country() is not None:
        fc = fc[fc["country_id"].astype(str) == country()]
    markets = sorted(fc["market_id"].dropna().unique()) if "market_id" in fc.columns else []
    retailers = sorted(fc["retailer_id"].dropna().unique()) if "retailer_id" in fc.columns else []
    c1, c2 = st.columns(2)
    market = c1.selectbox("Market", markets) if markets else None
    retailer = c2.selectbox("Retailer", retailers) if retailers else None
    sel = fc
    if market is not None:
        sel = sel[sel["market_id"] == market]
    if retailer is not None:
        sel = sel[sel["retailer_id"] == retailer]
    p10, p50, p90 = pick(sel, "units_p10", "p10"), pick(sel, "units_p50", "p50"), pick(sel, "units_p90", "p90")
    stock = pick(sel, "stocking_quantity_units", "stocking_units", "stocking_quantity", "recommended_stock_units")
    group = [c for c in ("week_start",) if c in sel.columns]
    agg_cols = [c for c in (p10, p50, p90, stock) if c]
    # a market x retailer may hold several products: show their sum (quantiles summed as a simple bound)
    view = sel.groupby(group, as_index=False)[agg_cols].sum() if group else sel
    hist = None
    if market is not None and retailer is not None and has("marts.fct_pos_sales_weekly"):
        hist = _query(_db_key(), f"""
            select week_start, sum(units) as units
            from marts.fct_pos_sales_weekly
            where market_id = '{market}' and retailer_id = '{retailer}'
            group by week_start order by week_start""")
        hist = hist[hist["week_start"] >= hist["week_start"].max() - pd.Timedelta(weeks=52)]
    c1, c2, c3 = st.columns(3)
    if p50:
        c1.metric("Next 13 weeks, median (units)", f"{view[p50].sum():,.0f}")
    if p10 and p90:
        c2.metric("80% range (units)", f"{view[p10].sum():,.0f} – {view[p90].sum():,.0f}")
    if stock:
        c3.metric("Stocking quantity (units)", f"{view[stock].sum():,.0f}")
    layers = []
    if p10 and p90:
        layers.append(alt.Chart(view).mark_area(opacity=0.25).encode(
            x="week_start:T", y=alt.Y(f"{p10}:Q", title="units"), y2=f"{p90}:Q"))
    if p50:
        layers.append(alt.Chart(view).mark_line(color="steelblue").encode(x="week_start:T", y=f"{p50}:Q"))
    if stock:
        layers.append(alt.Chart(view).mark_line(color="darkorange", strokeDash=[4, 3]).encode(
            x="week_start:T", y=f"{stock}:Q"))
    if hist is not None and len(hist):
        layers.append(alt.Chart(hist).mark_line(color="black").encode(x=alt.X("week_start:T", title=None),
                                                                       y="units:Q"))
    if layers:
        st.altair_chart(alt.layer(*layers).properties(height=360), width="stretch")
        st.caption("Black: actual units (last year); blue: median forecast; band: P10–P90; "
                   "orange dashed: stocking quantity at the critical fractile.")
    st.dataframe(view, hide_index=True, width="stretch")
    for rel in ("forecast.forecast_backtest_cost", "forecast.forecast_backtest_metrics"):
        if has(rel):
            with st.expander(f"Backtest: {rel}"):
                st.dataframe(table(rel), hide_index=True, width="stretch")


def page_quality() -> None:
    st.header("Data quality: the latest dbt run")
    results = dd.load_run_results()
    if results is None:
        st.info(f"No dbt run results at {dd.run_results_path()}. Run `make build` (or set DBT_TARGET_PATH "
                "to the target folder of your build).")
        return
    tests = results[results["kind"] == "test"]
    st.caption(f"From {dd.run_results_path()}, generated {results.attrs.get('generated_at')}.")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Tests run", len(tests))
    c2.metric("Passed", int((tests["status"] == "pass").sum()))
    c3.metric("Warnings", int((tests["status"] == "warn").sum()))
    c4.metric("Failed or errored", int(tests["status"].isin(["fail", "error"]).sum()))
    st.dataframe(dd.summarise_run_results(results), hide_index=True, width="stretch")
    bad = results[~results["status"].isin(["pass", "success"])]
    if len(bad):
        st.subheader("Not passing")
        st.dataframe(bad, hide_index=True, width="stretch")
    else:
        st.success("Every node of the latest run passed.")
    with st.expander("All nodes"):
        st.dataframe(results, hide_index=True, width="stretch")


RENDER = {"roi": page_roi, "lenses": page_lenses, "curves": page_curves, "scenario": page_scenario,
          "forecast": page_forecast, "quality": page_quality}


def main() -> None:
    st.set_page_config(page_title="media_impact", layout="wide")
    requested = st.query_params.get("page", "roi")
    keys = list(PAGES)
    page = st.sidebar.radio("Page", keys, index=keys.index(requested) if requested in keys else 0,
                            format_func=PAGES.get)
    if page != requested:
        st.query_params["page"] = page
    st.sidebar.caption(f"Database: `{dd.db_path()}` (read-only)")
    try:
        if not dd.db_path().exists():
            _tables.clear()
        tables = _tables(_db_key())
        if not any(t.startswith("marts.") for t in tables):
            raise dd.DatabaseNotBuilt(f"{dd.db_path()} has no marts yet: the database has not been built.")
    except dd.DatabaseNotBuilt as exc:
        if page == "quality":
            return page_quality()
        st.title("media_impact")
        st.warning(f"The database is not ready. {exc}")
        st.markdown("Build it with `make build`, then reload this page. "
                    "To use another file: `MEDIA_IMPACT_DB=/path/to/file.duckdb streamlit run dashboard/app.py`.")
        return
    options = ["us"]
    if has("marts.fct_channel_spend_weekly"):
        countries = _query(_db_key(), "select distinct country_id from marts.fct_channel_spend_weekly order by 1")
        options = countries["country_id"].astype(str).tolist() or options
    st.sidebar.selectbox("Country", options, index=options.index("us") if "us" in options else 0, key="country")
    RENDER[page]()


main()
