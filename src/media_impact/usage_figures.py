"""The figures docs/usage.md quotes, rendered from a built database.

    python -m media_impact.usage_figures [--db media_impact.duckdb] [--write docs/usage.md]

The docs quote the sample world's answers inside marked blocks,
``<!-- figures:NAME -->`` ... ``<!-- /figures -->``. Each block is a template
below whose every number is a placeholder, filled from the build: the MMM tables,
the dashboard optimiser over the stored curves, and the five analyses run as dbt
compiles them. ``--write`` replaces the blocks in the file; without it the blocks
are printed. ``tests/python/usage/test_docs.py`` renders them against its build
and fails when the file differs, so a quoted number cannot go stale.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from media_impact import dashboard_data as dd
from media_impact.dashboard_format import money, percent, ratio

BLOCK = re.compile(r"(<!-- figures:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /figures -->)", re.S)

TEMPLATES = {
    "pages": """\
On the sample world the pages show, for the US (country selector in the
sidebar): blended ROI {us_roi} on {us_spend} of media over the whole history
({us_weeks} weeks), and {us_roi_window} on {us_spend_window} over the last
{window_weeks} weeks; the dashboard optimiser's equalised marginal ROI
{us_equalised_mroi} (today's total, +-50% per channel); the {us_moved} move from
{from_channel} to {to_channel} adding {us_gain} of incremental revenue over the
last {window_weeks} weeks; the fit's in-sample R² {us_r2} and out-of-sample MAPE
{us_mape_oos}; a {horizon_weeks}-week forecast per market and retailer with its
stocking quantity; and the latest run's test counts.
""",
    "crosscheck": """\
Cross-check of the dashboard optimiser against the MMM's own allocation
(the same optimiser on a finer table of the posterior mean, `mmm.mmm_budget_allocation`), same budget and
bounds, sample world: US {us_dashboard_revenue} vs {us_mmm_revenue} of incremental
revenue ({us_revenue_difference}), Canada {ca_dashboard_revenue} vs
{ca_mmm_revenue} ({ca_revenue_difference}); the difference is the linear
interpolation between the stored curve's {grid_points} grid points.
""",
    "answers": """\
- *Which channels?* Last touch over-credits {over_credited}, and under-credits
  {under_credited} (all countries; CTV: {ctv_last_touch} of last-touch credit,
  {ctv_incremental} of the MMM's incremental revenue; geo-test iROAS {ctv_iroas}
  ({ctv_iroas_lower}-{ctv_iroas_upper}) vs MMM ROI {ctv_mmm_roi}).
- *Retargeting?* {retargeting_answer}: Meta retargeting takes {rt_spend_share} of US
  spend for {rt_incremental_share} of incremental revenue (ROI {rt_roi}, 90%
  {rt_roi_lower}-{rt_roi_upper}), and its next dollar returns {rt_marginal_roi}
  against a portfolio marginal ROI of {rt_portfolio_marginal_roi}.
- *$5M?* The MMM moves {us_moved} of retargeting's {us_source_spend}
  ({window_weeks}-week window) to CTV: {us_gain_signed} of incremental revenue in
  the US (CTV {us_to_change}, retargeting {us_from_change}); Canada moves
  {ca_moved_phrase} for {ca_gain_signed}.
- *Next quarter?* {top_market} {top_p50} units (P10-P90 {top_p10}-{top_p90}), stock
  {top_stock}; every market's P50 and stocking quantity for the {horizon_weeks} weeks.
- *Launch?* The {launch_product} flight added {launch_extra_spend} of US spend over
  the 12 weeks before it and {launch_extra_revenue} of in-flight media revenue
  ({launch_roi} per extra dollar, a lower bound: carryover after the flight is not
  counted); the product sold {launch_units_flight} units in the flight and
  {launch_units_after} in the 12 weeks after.
""",
}


def signed_money(x: float) -> str:
    return ("+" if x >= 0 else "") + money(x)


def units(x: float) -> str:
    """Units in short form: 1.49M, 652k."""
    return f"{x / 1e6:.2f}M" if abs(x) >= 1e6 else f"{x / 1e3:.0f}k"


def names(channels: list[str]) -> str:
    return ", ".join(channels[:-1]) + " and " + channels[-1] if len(channels) > 1 else "".join(channels)


def _one(con, sql: str, params: tuple = ()) -> tuple:
    return con.execute(sql, list(params)).fetchone()


def dashboard_figures(con) -> dict[str, str]:
    """What the US pages show: blended ROI over both windows, the optimiser, the fit."""
    spend, inc = _one(con, "select sum(spend_usd), sum(incremental_revenue_usd) from mmm.mmm_channel_roi "
                           "where country_id = 'us' and is_preferred")
    weeks, r2, mape_oos = _one(con, "select n_weeks, r2_train, mape_oos from mmm.mmm_model_runs "
                                    "where country_id = 'us' and is_preferred")
    curves = con.execute("select c.* from mmm.mmm_response_curves as c inner join mmm.mmm_model_runs as r "
                         "on c.run_id = r.run_id where r.is_preferred and c.country_id = 'us'").df()
    now = dd.current_spend_points(curves)
    window = dd.blended_roi(now)
    stored = dd.curves_from_table(curves)
    current = dict(zip(now["channel_id"], now["spend_usd"]))
    plan = dd.optimise_budget(stored, sum(current.values()), dd.bounds_around(current, 0.5, stored))
    return {
        "us_roi": ratio(inc / spend), "us_spend": money(spend), "us_weeks": str(weeks),
        "us_roi_window": ratio(window["roi"]), "us_spend_window": money(window["spend_usd"]),
        "window_weeks": str(int(now["window_weeks"].iloc[0])),
        "us_equalised_mroi": ratio(plan.loc[plan["at_bound"] == "", "marginal_roi"].median()),
        "us_r2": f"{r2:.3f}", "us_mape_oos": percent(mape_oos, 2),
    }


def crosscheck_figures(con) -> dict[str, str]:
    """The dashboard optimiser and the MMM's allocation, same budget and bounds, per country."""
    out = {"grid_points": str(_one(con, "select count(distinct spend_multiplier) from mmm.mmm_response_curves")[0])}
    for country in ("us", "ca"):
        alloc = con.execute("select * from mmm.mmm_budget_allocation where country_id = ? and run_id in "
                            "(select run_id from mmm.mmm_model_runs where is_preferred)", [country]).df()
        curves = con.execute("select * from mmm.mmm_response_curves where run_id = ?",
                             [alloc["run_id"].iloc[0]]).df()
        bounds = {r.channel_id: (r.lower_bound_usd, r.upper_bound_usd) for r in alloc.itertuples()}
        plan = dd.optimise_budget(dd.curves_from_table(curves), float(alloc["total_budget_usd"].iloc[0]), bounds)
        ours, theirs = plan["incremental_revenue_usd"].sum(), alloc["optimal_incremental_revenue_usd"].sum()
        out.update({f"{country}_dashboard_revenue": money(ours), f"{country}_mmm_revenue": money(theirs),
                    f"{country}_revenue_difference": f"{100 * (ours / theirs - 1):+.2f}%"})
    return out


def answer_figures(con, answers: dict[str, pd.DataFrame]) -> dict[str, str]:
    """The five analyses' answers, as the docs quote them."""
    out = {}
    ch = answers["which_channels_truly_influence_purchases"].set_index("channel_id")
    out["over_credited"] = names(ch.loc[ch["last_touch_flag"] == "over_credited", "channel_name"].tolist())
    out["under_credited"] = names(ch.loc[ch["last_touch_flag"] == "under_credited", "channel_name"].tolist())
    ctv = ch.loc["ctv"]
    out.update(ctv_last_touch=percent(ctv["last_touch_credit_share"]), ctv_incremental=percent(ctv["incremental_share"]),
               ctv_iroas=ratio(ctv["experiment_iroas"]), ctv_iroas_lower=ratio(ctv["experiment_iroas_lower_90"]),
               ctv_iroas_upper=ratio(ctv["experiment_iroas_upper_90"]), ctv_mmm_roi=ratio(ctv["mmm_roi"]))

    rt = answers["are_we_overspending_on_retargeting"]
    rt = rt[(rt["country_id"] == "us") & (rt["channel_id"] == "meta_retargeting")].iloc[0]
    out.update(retargeting_answer={"overspent": "Yes", "underspent": "No, underspent"}.get(rt["verdict"], "Not clearly"),
               rt_spend_share=percent(rt["spend_share"]), rt_incremental_share=percent(rt["incremental_share"]),
               rt_roi=ratio(rt["roi"]), rt_roi_lower=ratio(rt["roi_lower_90"]), rt_roi_upper=ratio(rt["roi_upper_90"]),
               rt_marginal_roi=ratio(rt["marginal_roi"]), rt_portfolio_marginal_roi=ratio(rt["portfolio_marginal_roi"]))

    move = answers["what_if_we_reallocate_5m"]
    for country in ("us", "ca"):
        g = move[move["country_id"] == country]
        source = g[g["spend_change_usd"] < 0].iloc[0]
        target = g[g["spend_change_usd"] > 0].iloc[0]
        moved, had = -source["spend_change_usd"], source["current_spend_usd"]
        out.update({f"{country}_moved": money(moved), f"{country}_source_spend": money(had),
                    f"{country}_moved_phrase": (f"all of its {money(had)}" if abs(moved - had) < 1
                                                else f"{money(moved)} of its {money(had)}"),
                    f"{country}_gain_signed": signed_money(source["country_gain_usd"])})
        if country == "us":
            out.update(us_gain=money(source["country_gain_usd"]), from_channel=source["channel_id"],
                       to_channel=target["channel_id"], us_to_change=signed_money(target["revenue_change_usd"]),
                       us_from_change=signed_money(source["revenue_change_usd"]))

    demand = answers["demand_by_market_next_quarter"].sort_values("units_p50", ascending=False).iloc[0]
    out.update(top_market=demand["market_name"], top_p50=units(demand["units_p50"]), top_p10=units(demand["units_p10"]),
               top_p90=units(demand["units_p90"]), top_stock=units(demand["stocking_units"]),
               horizon_weeks=str(int(demand["weeks"])))

    launch = answers["did_the_launch_campaign_work"]
    launch = launch[launch["country_id"] == "us"].iloc[0]
    product = _one(con, "select product_name from reference.ref_products where product_id = ?",
                   (launch["launched_product_id"],))[0]
    out.update(launch_product=product, launch_extra_spend=money(launch["extra_spend_usd"]),
               launch_extra_revenue=money(launch["extra_revenue_usd"]), launch_roi=ratio(launch["flight_roi"]),
               launch_units_flight=units(launch["launch_units_flight"]),
               launch_units_after=units(launch["launch_units_after"]))
    return out


def figures(con, answers: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Every placeholder of the templates, filled from the build."""
    return {**dashboard_figures(con), **crosscheck_figures(con), **answer_figures(con, answers)}


def render(values: dict[str, str]) -> dict[str, str]:
    return {name: template.format(**values) for name, template in TEMPLATES.items()}


def replace_blocks(text: str, blocks: dict[str, str]) -> str:
    """The text with every marked block's body replaced by its rendering."""
    def swap(m: re.Match) -> str:
        return m.group(1) + blocks[m.group("name")] + m.group(4)
    return BLOCK.sub(swap, text)


def blocks_in(text: str) -> dict[str, str]:
    return {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}


def run_analyses(con, compiled_dir: Path) -> dict[str, pd.DataFrame]:
    """Every compiled analysis run on the (read-only) connection, by name."""
    return {p.stem: con.execute(p.read_text()).df() for p in sorted(Path(compiled_dir).glob("*.sql"))}


def compile_analyses(db: Path, work: Path) -> Path:
    """`dbt compile` of analyses/ against the database, into a scratch target folder."""
    env = dict(os.environ, MEDIA_IMPACT_DB=str(db), DBT_TARGET_PATH=str(work / "target"),
               DBT_LOG_PATH=str(work / "logs"), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    env.setdefault("DBT_PROFILES_DIR", "profiles")
    result = subprocess.run([sys.executable, "-m", "dbt.cli.main", "compile", "--select", "path:analyses"],
                            env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"dbt compile of analyses/ failed:\n{result.stdout[-3000:]}")
    return work / "target" / "compiled" / "media_impact" / "analyses"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=os.environ.get("MEDIA_IMPACT_DB", "media_impact.duckdb"))
    ap.add_argument("--write", metavar="MARKDOWN", help="replace the marked blocks in this file")
    args = ap.parse_args(argv)
    import duckdb

    db = Path(args.db).resolve()
    with tempfile.TemporaryDirectory(prefix="usage_figures_") as work:
        compiled = compile_analyses(db, Path(work))
        con = duckdb.connect(str(db), read_only=True)
        try:
            blocks = render(figures(con, run_analyses(con, compiled)))
        finally:
            con.close()
    if args.write:
        path = Path(args.write)
        text = path.read_text()
        missing = set(blocks) - set(blocks_in(text))
        if missing:
            print(f"{path}: no block marked <!-- figures:{sorted(missing)[0]} -->", file=sys.stderr)
            return 2
        path.write_text(replace_blocks(text, blocks))
        print(f"wrote {len(blocks)} blocks into {path}")
    else:
        print("\n".join(f"<!-- figures:{k} -->\n{v}<!-- /figures -->" for k, v in blocks.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
