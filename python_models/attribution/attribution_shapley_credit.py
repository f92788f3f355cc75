"""attribution.attribution_shapley_credit: Shapley-value credit per channel.

Thin: read the distinct paths (SQL), call media_impact.attribution.shapley_attribution
(exact, via Harsanyi dividends of the observed channel sets). See docs/attribution.md.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.attribution import shapley_attribution

    credit = shapley_attribution(dbt.ref("fct_attribution_paths").df())
    credit["credit_share"] = credit["credited_conversions"] / credit["credited_conversions"].sum()
    return credit[["channel_id", "credited_conversions", "credited_value_usd", "credit_share"]]
