"""attribution.attribution_markov_credit: Markov removal-effect credit per channel.

Thin: read the distinct paths (SQL), call media_impact.attribution.markov_attribution
(order var('markov_order'), solved exactly), return the table. See docs/attribution.md.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.attribution import markov_attribution

    paths = dbt.ref("fct_attribution_paths").df()
    order = int(dbt.config.get("markov_order"))
    credit = markov_attribution(paths, order=order)
    credit["credit_share"] = credit["credited_conversions"] / credit["credited_conversions"].sum()
    return credit[
        [
            "channel_id", "markov_order", "removal_effect", "removal_effect_value",
            "credited_conversions", "credited_value_usd", "credit_share",
            "conversion_probability", "value_per_journey_usd",
        ]
    ]
