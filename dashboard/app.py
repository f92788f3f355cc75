"""media_impact dashboard: what media spend does to retail sales.

    streamlit run dashboard/app.py            # reads MEDIA_IMPACT_DB (default media_impact.duckdb)

Opens the DuckDB file read-only, and only for the moment of each read, so a
`dbt build` can run while the dashboard is open. Pages (sidebar, or ?page=...):
roi, lenses, curves, scenario, fit, forecast, quality. Every page shows the
country chosen in the sidebar; every money figure names its period.
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
    from media_impact import dashboard_format as fmt
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from media_impact import dashboard_data as dd
    from media_impact import dashboard_format as fmt

PAGES = {
    "roi": "Channel ROI",
    "lenses": "Lenses side by side",
    "curves": "Response curves & optimiser",
    "scenario": "Scenarios ($5M reallocation)",
    "fit": "Model fit & decomposition",
    "forecast": "Demand forecasts",
    "quality": "Data quality",
}
# one colour per lens, the same on every chart (last touch grey: the agency's view)
# channels in a stack that base and controls (greys) sit under: 20 distinct hues
CHANNEL_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                   "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d",
                   "#31a354", "#756bb1", "#636363", "#9c9ede"] * 3
LENS_COLOURS = {"last touch": "#8c8c8c", "Markov": "#1f77b4", "Shapley": "#9467bd", "MMM": "#d62728"}


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
def _query(db_key, sql: str, params: tuple = ()) -> pd.DataFrame:
    con = dd.connect(db_key[0])
    try:
        return con.execute(sql, list(params)).df()
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


def lacks(df: pd.DataFrame, relation: str, *columns: str) -> bool:
    """True (and a note on the page) when an older database's table misses columns a view needs."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        st.info(f"`{relation}` in this database has no {', '.join(f'`{c}`' for c in missing)} "
                "(built by an older version); run `make build` to see this part.")
    return bool(missing)


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
# layout helpers
# ------------------------------------------------------------------------------------------------

# (format, step): money in whole dollars with the sign before the $, shares to 0.1%
_COLUMN_FORMATS = {"money": ("dollar", 1), "ratio": ("%.2f", None), "fit_metric": ("%.4f", None),
                   "percent": ("percent", 0.001), "count": ("%,.0f", None)}


def show_table(df: pd.DataFrame, first: tuple[str, ...] = (), hide: tuple[str, ...] = ()) -> None:
    """A table for a reader: internal ids, the columns in ``hide`` and columns without a
    value (intervals a run does not fill) left out, columns named in words, money, ratios
    and shares formatted (the values stay numbers, so the table still sorts)."""
    cols = [c for c in fmt.visible_columns(df.columns) if c not in hide and df[c].notna().any()]
    cols = [c for c in first if c in cols] + [c for c in cols if c not in first]
    config = {}
    for c in cols:
        kind = fmt.column_kind(c)
        if kind in _COLUMN_FORMATS and pd.api.types.is_numeric_dtype(df[c]):
            form, step = _COLUMN_FORMATS[kind]
            config[c] = st.column_config.NumberColumn(fmt.column_label(c), format=form, step=step)
        else:
            config[c] = st.column_config.Column(fmt.column_label(c))
    st.dataframe(df[cols], hide_index=True, width="stretch", column_config=config)


def metric(where, label: str, value: str, band: str = "", help: str | None = None) -> None:
    """A tile; its 90% interval (when the table has one) written under the value."""
    where.metric(label, value, delta=band or None, delta_color="off", delta_arrow="off", help=help)


def run_settings() -> dict:
    """Settings of the chosen country's preferred MMM run (``settings_json``), or {}."""
    runs = table("mmm.mmm_model_runs")
    if runs is None or "settings_json" not in runs.columns:
        return {}
    runs = preferred_fit(runs)
    return json.loads(runs["settings_json"].iloc[0]) if len(runs) else {}


def interval_source() -> str:
    """Where the stored intervals come from, read from the preferred run's settings."""
    settings = run_settings()
    method = settings.get("interval_method") or (settings.get("bootstrap") or {}).get("method", "posterior")
    return {"posterior": "the posterior (MCMC draws)", "laplace": "Laplace draws of the curve parameters",
            "bootstrap": "a block bootstrap over weeks"}.get(method, f"{method} draws")


def interval_method() -> str:
    return f"90% intervals from {interval_source()}"


def no_interval_note(what: str) -> None:
    st.caption(f"No 90% interval for {what} in this run: its intervals are from {interval_source()}, "
               "which the MMM computes for ROI but not for the planning tables (docs/mmm.md, Posterior: Scope).")


def fit_weeks(scope: str | None) -> dict | None:
    """Weeks the chosen country's fit covers (from its decomposition), or None."""
    if scope is None or not has("mmm.mmm_decomposition_weekly"):
        return None
    weeks = _query(_db_key(), "select distinct week_start from mmm.mmm_decomposition_weekly "
                              "where country_id = ? and model_scope = ?", (country(), scope))
    return dd.weeks_covered(weeks) if len(weeks) else None


def history_label(scope: str | None) -> str:
    weeks = fit_weeks(scope)
    if weeks is None:
        return "whole history"
    return f"whole history, {weeks['n_weeks']} weeks ({weeks['first_week']} to {weeks['last_week']})"


def planning_weeks(df: pd.DataFrame) -> int | None:
    return int(df["window_weeks"].iloc[0]) if "window_weeks" in df.columns and len(df) else None


def blended_tiles(b: dict, period: str) -> None:
    c1, c2, c3 = st.columns(3)
    metric(c1, f"Media spend, {period}", fmt.money(b["spend_usd"]))
    metric(c2, f"Incremental revenue, {period}", fmt.money(b["incremental_revenue_usd"]),
           fmt.interval(b["incremental_revenue_lower_90_usd"], b["incremental_revenue_upper_90_usd"], fmt.money))
    metric(c3, f"Blended ROI, {period}", fmt.ratio(b["roi"]), fmt.interval(b["roi_lower_90"], b["roi_upper_90"]))


# ------------------------------------------------------------------------------------------------
# pages
# ------------------------------------------------------------------------------------------------

def page_roi() -> None:
    st.header("Channel ROI, with 90% intervals")
    roi = table("mmm.mmm_channel_roi")
    if roi is None:
        return not_built("mmm.mmm_channel_roi", "the MMM")
    roi = preferred_fit(roi)
    if lacks(roi, "mmm.mmm_channel_roi", "channel_id", "spend_usd", "incremental_revenue_usd", "roi"):
        return
    scope = str(roi["model_scope"].iloc[0]) if "model_scope" in roi.columns and len(roi) else None
    st.caption(f"Incremental revenue per dollar from the marketing mix model ({scope or 'preferred'} fit, "
               f"country {country()}), carryover counted; {interval_method()}.")
    st.subheader(f"Over the {history_label(scope)}")
    blended_tiles(dd.blended_roi(roi), "whole history")
    st.caption("Blended ROI = total incremental revenue / total spend. Its band adds the channels' 90% bounds: "
               "a conservative band, as the tables hold no joint draws.")
    curves = table("mmm.mmm_response_curves")
    now = dd.current_spend_points(preferred_fit(curves)) if curves is not None else pd.DataFrame()
    if len(now) and {"spend_usd", "incremental_revenue_usd"} <= set(now.columns):
        weeks = planning_weeks(now)
        st.subheader(f"Over the last {weeks} weeks (the planning window of the curves, optimiser and scenarios)")
        blended_tiles(dd.blended_roi(now), f"last {weeks} weeks")
        if not dd.has_values(now, "incremental_revenue_lower_90_usd"):
            no_interval_note("the planning window's revenue")
    lo, hi = pick(roi, "roi_lower_90"), pick(roi, "roi_upper_90")
    base = alt.Chart(roi).encode(y=alt.Y("channel_id:N", sort="-x", title=None))
    layers = [base.mark_bar(opacity=0.7).encode(
        x=alt.X("roi:Q", title="ROI over the whole history (incremental revenue per $)"),
        tooltip=[alt.Tooltip(c, format=".2f") if c != "channel_id" else c
                 for c in ("channel_id", "roi", lo, hi, pick(roi, "marginal_roi")) if c])]
    if lo and hi:
        layers.append(base.mark_rule(strokeWidth=2, color="black").encode(x=f"{lo}:Q", x2=f"{hi}:Q"))
    if "marginal_roi" in roi.columns:
        layers.append(base.mark_point(shape="diamond", color="firebrick", filled=True, size=70)
                      .encode(x="marginal_roi:Q"))
    st.altair_chart(alt.layer(*layers).properties(height=38 * max(len(roi), 3)), width="stretch")
    st.caption("Bars: ROI; black lines: 90% interval; red diamonds: marginal ROI of the next dollar.")
    show_table(roi.sort_values("roi", ascending=False), hide=("model_scope",),
               first=("channel_id", "roi", "roi_lower_90", "roi_upper_90", "marginal_roi", "spend_usd"))


def page_lenses() -> None:
    st.header("What each channel drives, by lens")
    lenses = table("marts.channel_lenses")
    if lenses is None:
        return not_built("marts.channel_lenses", "attribution")
    if lacks(lenses, "marts.channel_lenses", "channel_id", "last_touch_credit_share"):
        return
    spend = _query(_db_key(), "select channel_id, sum(spend_usd) as spend_usd from marts.fct_channel_spend_weekly "
                              "where country_id = ? group by channel_id", (country(),))
    roi = table("mmm.mmm_channel_roi")
    roi = preferred_fit(roi) if roi is not None else pd.DataFrame(columns=["channel_id", "incremental_revenue_usd"])
    experiments = table("experiments.experiment_results")
    if experiments is not None and "country_id" in experiments.columns:
        experiments = experiments[experiments["country_id"].astype(str) == country()]
    view = dd.country_lenses(lenses, spend, roi, experiments)
    scope = str(roi["model_scope"].iloc[0]) if "model_scope" in roi.columns and len(roi) else None
    st.caption(f"Country {country()}, {history_label(scope)}: spend, the MMM's incremental revenue and the geo "
               "experiments are this country's. Last-touch, Markov and Shapley credit come from clean-room "
               "journeys, which carry no country: they are for all countries together.")
    share_cols = {"last_touch_credit_share": "last touch", "markov_credit_share": "Markov",
                  "shapley_credit_share": "Shapley", "mmm_incremental_revenue_share": "MMM"}
    share_cols = {k: v for k, v in share_cols.items() if k in view.columns}
    long = view.melt(id_vars=["channel_id"], value_vars=list(share_cols), var_name="lens", value_name="share")
    long["lens"] = long["lens"].map(share_cols)
    order = list(view["channel_id"])
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X("share:Q", axis=alt.Axis(format="%"), title="share of credit"),
        y=alt.Y("lens:N", title=None, sort=list(LENS_COLOURS)),
        color=alt.Color("lens:N", scale=alt.Scale(domain=list(LENS_COLOURS), range=list(LENS_COLOURS.values())),
                        legend=alt.Legend(orient="top", title=None)),
        row=alt.Row("channel_id:N", title=None, sort=order, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=["channel_id", "lens", alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=alt.Step(12)), width="content")
    over = view.loc[view["last_touch_credit_flag"] == "over_credited", "channel_id"].tolist()
    under = view.loc[view["last_touch_credit_flag"] == "under_credited", "channel_id"].tolist()
    c1, c2 = st.columns(2)
    c1.metric("Over-credited by last touch", len(over), help=", ".join(over))
    c2.metric("Under-credited by last touch", len(under), help=", ".join(under))
    c1.write(", ".join(over))
    c2.write(", ".join(under))
    show_table(view, first=("channel_id", "last_touch_credit_flag", "spend_usd", "spend_share",
                            "last_touch_credit_share", "mmm_incremental_revenue_share", "mmm_roi",
                            "mmm_roi_lower_90", "mmm_roi_upper_90", "experiment_iroas"))


def curve_chart(curves: pd.DataFrame, now: pd.DataFrame) -> alt.LayerChart:
    """Each channel's curve, its 90% band when the table has one, and a dot at today's spend."""
    x = alt.X("spend_usd:Q", title="spend in the planning window (USD)", axis=alt.Axis(format="$~s"))
    y = alt.Y("incremental_revenue_usd:Q", title="incremental revenue (USD)", axis=alt.Axis(format="$~s"))
    tips = ["channel_id", alt.Tooltip("spend_usd:Q", format="$,.0f"),
            alt.Tooltip("incremental_revenue_usd:Q", format="$,.0f")]
    if "marginal_roi" in curves.columns:
        tips.append(alt.Tooltip("marginal_roi:Q", format=".2f"))
    layers = []
    if dd.has_values(curves, "incremental_revenue_lower_90_usd", "incremental_revenue_upper_90_usd"):
        layers.append(alt.Chart(curves).mark_area(opacity=0.15).encode(
            x=x, y="incremental_revenue_lower_90_usd:Q", y2="incremental_revenue_upper_90_usd:Q", color="channel_id:N"))
    layers.append(alt.Chart(curves).mark_line().encode(x=x, y=y, color=alt.Color("channel_id:N", title="channel"),
                                                       tooltip=tips))
    if len(now):
        layers.append(alt.Chart(now).mark_point(filled=True, size=90, stroke="black", strokeWidth=1).encode(
            x=x, y=y, color="channel_id:N", tooltip=tips))
    return alt.layer(*layers).properties(height=380)


def page_curves() -> None:
    st.header("Response curves and budget optimiser")
    curves = table("mmm.mmm_response_curves")
    if curves is None:
        return not_built("mmm.mmm_response_curves", "the MMM")
    curves = preferred_fit(curves)
    if lacks(curves, "mmm.mmm_response_curves", "channel_id", "spend_usd", "incremental_revenue_usd"):
        return
    now = dd.current_spend_points(curves)
    weeks = planning_weeks(curves)
    period = f"last {weeks} weeks" if weeks else "planning window"
    st.caption(f"Incremental revenue over the {period} if one channel's spend in that window were scaled, "
               f"the others unchanged (country {country()}). Dots: today's spend.")
    st.altair_chart(curve_chart(curves, now), width="stretch")
    if not dd.has_values(curves, "incremental_revenue_lower_90_usd"):
        no_interval_note("the curves")

    stored = dd.curves_from_table(curves)
    current = now.groupby("channel_id")["spend_usd"].sum().to_dict() if len(now) else {}
    current = {c: float(current.get(c, stored[c].spend[-1] / 2)) for c in stored}
    total_now = sum(current.values())
    st.subheader(f"What if: split a total budget for the {period}")
    st.caption("The MMM's one budget optimiser (`media_impact.mmm.optimiser`: each curve's concave envelope "
               "filled by marginal ROI) run here on the stored curves, linear between their grid points (every "
               "0.1x of current spend); the MMM's own allocation below runs it on a 201-point table of the "
               "posterior's expected revenue, so the two agree up to the grid.")
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
    plan["current_incremental_revenue_usd"] = [float(stored[c](current[c])) for c in plan["channel_id"]]
    gain = plan["incremental_revenue_usd"].sum() - plan["current_incremental_revenue_usd"].sum()
    c1, c2, c3 = st.columns(3)
    c1.metric("Budget optimised", fmt.money(budget), delta=fmt.money(budget - total_now) + f" vs current, {period}")
    c2.metric(f"Incremental revenue at optimum, {period}", fmt.money(plan["incremental_revenue_usd"].sum()),
              delta=fmt.money(gain) + " vs current plan")
    interior = plan[plan["at_bound"] == ""]
    c3.metric("Equalised marginal ROI", fmt.ratio(interior["marginal_roi"].median()) if len(interior) else "n/a")
    show_table(plan, first=("channel_id", "current_spend_usd", "spend_usd", "lower_usd", "upper_usd",
                            "current_incremental_revenue_usd", "incremental_revenue_usd", "marginal_roi", "at_bound"))
    alloc = table("mmm.mmm_budget_allocation")
    if alloc is not None:
        alloc = preferred_fit(alloc)
        with st.expander("The MMM's own allocation (the same optimiser on the posterior's expected revenue, from dbt build)"):
            if "optimal_gain_usd" in alloc.columns and len(alloc):
                first = alloc.iloc[0]
                metric(st, f"Gain of the MMM's optimal split, {period}", fmt.money(first["optimal_gain_usd"]),
                       fmt.interval(first.get("optimal_gain_lower_90_usd"), first.get("optimal_gain_upper_90_usd"),
                                    fmt.money))
                if not dd.has_values(alloc, "optimal_gain_lower_90_usd"):
                    no_interval_note("the optimal split's gain")
            show_table(alloc, first=("channel_id", "current_spend_usd", "optimal_spend_usd"),
                       hide=("model_scope", "window_weeks", "total_budget_usd", "optimal_gain_usd"))


def page_scenario() -> None:
    st.header("Scenarios: what if we move money between channels?")
    scen = table("mmm.mmm_scenarios")
    if scen is None:
        return not_built("mmm.mmm_scenarios", "the MMM")
    scen = preferred_fit(scen)
    if lacks(scen, "mmm.mmm_scenarios", "scenario_id", "channel_id", "spend_usd", "current_spend_usd",
             "incremental_revenue_usd", "current_incremental_revenue_usd"):
        return
    curves = table("mmm.mmm_response_curves")
    weeks = planning_weeks(curves) if curves is not None else None
    period = f"last {weeks} weeks" if weeks else "planning window"
    summary = dd.scenario_summary(scen)
    ids = summary["scenario_id"].astype(str).tolist()
    labels = dict(zip(ids, summary["scenario_name"].astype(str)))
    default = next((i for i, n in enumerate(ids) if "realloc" in n.lower()), 0)
    choice = st.selectbox("Scenario", ids, index=default, format_func=lambda i: labels.get(i, i))
    row = summary[summary["scenario_id"].astype(str) == choice].iloc[0]
    chosen = scen[scen["scenario_id"].astype(str) == choice]
    st.subheader(labels.get(choice, choice))
    if choice.startswith("flight"):  # a flight plan covers its own weeks, its gain is against always-on
        period = "the flight's weeks"
        st.caption(f"Country {country()}: spend and revenue over the flight named above; the gain is against "
                   "the always-on plan of the same weeks and budget.")
    else:
        st.caption(f"Country {country()}, the {period} (the MMM's planning window); the gain is against "
                   "today's split of the same window.")
    c1, c2, c3 = st.columns(3)
    metric(c1, f"Incremental revenue in scenario, {period}", fmt.money(row["incremental_revenue_usd"]))
    metric(c2, f"Incremental revenue now, {period}", fmt.money(row["current_incremental_revenue_usd"]))
    metric(c3, f"Gain, {period}", fmt.money(row["scenario_gain_usd"]),
           fmt.interval(row["scenario_gain_lower_90_usd"], row["scenario_gain_upper_90_usd"], fmt.money))
    if pd.isna(row["scenario_gain_lower_90_usd"]):
        no_interval_note("the scenario's gain")
    long = chosen.melt(id_vars=["channel_id"], value_vars=["current_spend_usd", "spend_usd"],
                       var_name="plan", value_name="usd")
    long["plan"] = long["plan"].map({"current_spend_usd": "current", "spend_usd": "scenario"})
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X("usd:Q", title=f"spend, {period} (USD)", axis=alt.Axis(format="$~s")), y=alt.Y("plan:N", title=None),
        color=alt.Color("plan:N", scale=alt.Scale(domain=["current", "scenario"], range=["#8c8c8c", "#1f77b4"])),
        row=alt.Row("channel_id:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=["channel_id", "plan", alt.Tooltip("usd:Q", format="$,.0f")],
    ).properties(height=alt.Step(14)), width="content")
    show_table(chosen.assign(spend_change_usd=chosen["spend_usd"] - chosen["current_spend_usd"]),
               hide=("model_scope", "scenario_id", "scenario_name", "note", "scenario_gain_usd",
                     "scenario_gain_lower_90_usd", "scenario_gain_upper_90_usd"),
               first=("channel_id", "current_spend_usd", "spend_usd", "spend_change_usd",
                      "current_incremental_revenue_usd", "incremental_revenue_usd"))
    st.subheader("Every scenario")
    show_table(summary.drop(columns=["scenario_id"]),
               first=("scenario_name", "scenario_gain_usd", "scenario_gain_lower_90_usd", "scenario_gain_upper_90_usd"))


def page_fit() -> None:
    st.header("Model fit and decomposition")
    runs, decomposition = table("mmm.mmm_model_runs"), table("mmm.mmm_decomposition_weekly")
    if runs is None or decomposition is None:
        return not_built("mmm.mmm_model_runs" if runs is None else "mmm.mmm_decomposition_weekly", "the MMM")
    run = preferred_fit(runs)
    if not len(run):
        return st.info(f"No MMM fit for country {country()} in this database.")
    run = run.iloc[0]
    decomposition = decomposition[(decomposition["country_id"].astype(str) == country())
                                  & (decomposition["model_scope"] == run.get("model_scope"))]
    if lacks(decomposition, "mmm.mmm_decomposition_weekly", "week_start", "component_type", "component",
             "contribution_usd", "actual_revenue_usd", "fitted_revenue_usd") or not len(decomposition):
        return
    weekly = dd.actual_vs_fitted(decomposition)
    diag = dd.fit_diagnostics(weekly)
    span = dd.weeks_covered(weekly)
    st.caption(f"The {run.get('model_scope', 'preferred')} fit of country {country()}: weekly revenue over "
               f"{span['n_weeks']} weeks ({span['first_week']} to {span['last_week']}).")
    c = st.columns(5)
    metric(c[0], "R² (in-sample)", fmt.ratio(diag["r2"], 3))
    metric(c[1], "MAPE (in-sample)", fmt.percent(diag["mape"], 2))
    metric(c[2], "MAPE (out-of-sample)", fmt.percent(run.get("mape_oos"), 2),
           help=f"Expanding-window CV over {run.get('n_oos_weeks', 'the')} held-out weeks")
    metric(c[3], "NRMSE (out-of-sample)", fmt.ratio(run.get("nrmse_oos"), 3), help="RMSE / (max - min of revenue)")
    metric(c[4], "DECOMP.RSSD", fmt.ratio(run.get("decomp_rssd"), 3),
           help="sqrt(sum (effect share - spend share)^2): how far the channels' effects stray from their spend")
    st.subheader("Actual vs fitted revenue")
    long = weekly.melt(id_vars=["week_start"], value_vars=["actual_revenue_usd", "fitted_revenue_usd"],
                       var_name="series", value_name="usd")
    long["series"] = long["series"].map({"actual_revenue_usd": "actual", "fitted_revenue_usd": "fitted"})
    st.altair_chart(alt.Chart(long).mark_line().encode(
        x=alt.X("week_start:T", title=None), y=alt.Y("usd:Q", title="weekly revenue (USD)", axis=alt.Axis(format="$~s")),
        color=alt.Color("series:N", scale=alt.Scale(domain=["actual", "fitted"], range=["black", "#d62728"])),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=["actual", "fitted"], range=[[1, 0], [5, 3]])),
        tooltip=["week_start:T", "series", alt.Tooltip("usd:Q", format="$,.0f")],
    ).properties(height=300), width="stretch")
    st.markdown("**Residual check** (actual - fitted, per week)")
    c = st.columns(3)
    metric(c[0], "Lag-1 autocorrelation", fmt.ratio(diag["residual_lag1_autocorrelation"]),
           help="0 for independent weeks; near 1 when misses drift together")
    metric(c[1], "Durbin-Watson", fmt.ratio(diag["durbin_watson"]), help="about 2 for independent weeks")
    metric(c[2], "Largest weekly miss", fmt.percent(diag["largest_residual_share"], 2),
           help=f"week of {pd.Timestamp(diag['largest_residual_week']).date()}")
    st.altair_chart(alt.Chart(weekly).mark_bar(color="#8c8c8c").encode(
        x=alt.X("week_start:T", title=None), y=alt.Y("residual_usd:Q", title="residual (USD)", axis=alt.Axis(format="$~s")),
        tooltip=["week_start:T", alt.Tooltip("residual_usd:Q", format="$,.0f")],
    ).properties(height=160), width="stretch")
    sampler = dd.sampler_diagnostics(run)
    if sampler:
        st.markdown("**Sampler diagnostics**")
        cols = st.columns(len(sampler))
        for col, (k, v) in zip(cols, sampler.items()):
            metric(col, fmt.column_label(k), f"{v:,.3g}")
    else:
        st.caption(f"No sampler diagnostics: this run's intervals are from {interval_source()}"
                   + ("." if "MCMC" in interval_source() else "; no MCMC chains were drawn."))
    st.subheader("Decomposition over time")
    parts = dd.decomposition_over_time(decomposition)
    media = sorted(set(parts["component_group"]) - {"base", "controls"})
    st.altair_chart(alt.Chart(parts).mark_area().encode(
        x=alt.X("week_start:T", title=None),
        y=alt.Y("contribution_usd:Q", stack=True, title="weekly revenue (USD)", axis=alt.Axis(format="$~s")),
        color=alt.Color("component_group:N", title=None,
                        scale=alt.Scale(domain=["base", "controls", *media],
                                        range=["#bdbdbd", "#e6e6e6", *CHANNEL_COLOURS[:len(media)]])),
        order=alt.Order("component_order:Q"),
        tooltip=["week_start:T", "component_group", alt.Tooltip("contribution_usd:Q", format="$,.0f")],
    ).transform_calculate(component_order="datum.component_group == 'base' ? 0 : "
                                          "(datum.component_group == 'controls' ? 1 : 2)")
        .properties(height=360), width="stretch")
    st.caption("Base: intercepts; controls: trend, season, holidays and macro indicators together (can be negative); "
               "each channel its own band. The bands of a week add up to its fitted revenue.")
    candidates = table("mmm.mmm_candidates")
    if candidates is not None and "run_id" in candidates.columns and "run_id" in run.index:
        candidates = candidates[candidates["run_id"] == run["run_id"]]
        st.subheader("Candidate model forms (lowest out-of-sample NRMSE chosen)")
        show_table(candidates, hide=("model_scope",), first=("candidate_id", "is_chosen", "adstock", "saturation", "nrmse_oos", "mape_oos",
                                      "decomp_rssd"))
    with st.expander("Every fit of this country"):
        show_table(runs[runs["country_id"].astype(str) == country()],
                   first=("model_scope", "is_preferred", "r2_train", "mape_train", "mape_oos", "nrmse_oos"))


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
    n_weeks = len(view) if group else None
    period = f"next {n_weeks} weeks" if n_weeks else "forecast horizon"
    hist = None
    if market is not None and retailer is not None and has("marts.fct_pos_sales_weekly"):
        hist = _query(_db_key(), """
            select week_start, sum(units) as units
            from marts.fct_pos_sales_weekly
            where market_id = ? and retailer_id = ?
            group by week_start order by week_start""", (market, retailer))
        hist = hist[hist["week_start"] >= hist["week_start"].max() - pd.Timedelta(weeks=52)]
    c1, c2, c3 = st.columns(3)
    if p50:
        c1.metric(f"Median units, {period}", f"{view[p50].sum():,.0f}")
    if p10 and p90:
        c2.metric(f"80% range (P10-P90), {period}", f"{view[p10].sum():,.0f} – {view[p90].sum():,.0f}")
    if stock:
        c3.metric(f"Stocking quantity, {period}", f"{view[stock].sum():,.0f}")
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
    show_table(view)
    for rel in ("forecast.forecast_backtest_cost", "forecast.forecast_backtest_metrics"):
        if has(rel):
            with st.expander(f"Backtest: {rel}"):
                show_table(table(rel))


def page_quality() -> None:
    st.header("Data quality: the latest dbt run")
    results = dd.load_run_results()
    if results is None:
        st.info(f"No dbt run results at {dd.run_results_path()}. Run `make build` (or set DBT_TARGET_PATH "
                "to the target folder of your build).")
        return
    results = dd.readable_run_results(results)
    tests = results[results["kind"] == "test"]
    st.caption(f"From {dd.run_results_path()}, generated {results.attrs.get('generated_at')}; test names from "
               "the manifest beside it (type, model, column).")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Tests run", len(tests))
    c2.metric("Passed", int((tests["status"] == "pass").sum()))
    c3.metric("Warnings", int((tests["status"] == "warn").sum()))
    c4.metric("Failed or errored", int(tests["status"].isin(["fail", "error"]).sum()))
    st.dataframe(dd.summarise_run_results(results), hide_index=True, width="stretch")
    readable = ("status", "test_type", "model", "column", "arguments", "failures", "message")
    bad = results[~results["status"].isin(["pass", "success"])]
    if len(bad):
        st.subheader("Not passing")
        show_table(bad.drop(columns=["unique_id", "name"]), first=("kind",) + readable)
    else:
        st.success("Every node of the latest run passed.")
    with st.expander("Every test, by model"):
        show_table(tests.sort_values(["model", "test_type", "column"]).drop(columns=["unique_id", "name", "kind"]),
                   first=("model", "test_type", "column", "arguments", "status"))


RENDER = {"roi": page_roi, "lenses": page_lenses, "curves": page_curves, "scenario": page_scenario,
          "fit": page_fit, "forecast": page_forecast, "quality": page_quality}


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
    st.sidebar.caption("Every page shows this country.")
    try:
        RENDER[page]()
    except KeyError as exc:  # a table of an older build without a column this page reads
        st.info(f"This page needs a column the database does not have ({exc}); it was built by an older "
                "version. Run `make build` to see it.")


main()
