{#- What if we reallocate $5M?
    The MMM's reallocation scenario (var mmm_reallocation_usd, default $5M, from
    the channel with the lowest marginal ROI to the highest, capped at the
    source channel's spend), per country and channel: spend and incremental
    revenue now and in the scenario, and the country's total gain with its 90%
    interval (null when the run's intervals do not cover the scenarios). The
    first six columns are the answer (narrow enough for `dbt show`). -#}

with

scenarios as (
    select * from {{ ref('mmm_scenarios') }}
    where scenario_id = 'reallocate'
),

preferred_fits as (
    select distinct
        country_id,
        model_scope
    from {{ ref('mmm_channel_roi') }}
    where is_preferred
),

final as (
    select
        scenarios.country_id,
        scenarios.channel_id,
        round(scenarios.spend_usd - scenarios.current_spend_usd) as spend_change_usd,
        round(scenarios.incremental_revenue_usd - scenarios.current_incremental_revenue_usd) as revenue_change_usd,
        round(
            sum(scenarios.incremental_revenue_usd - scenarios.current_incremental_revenue_usd)
                over (partition by scenarios.country_id)
        ) as country_gain_usd,
        round(scenarios.scenario_gain_lower_90_usd) as gain_lower_90_usd,
        round(scenarios.scenario_gain_upper_90_usd) as gain_upper_90_usd,
        scenarios.scenario_name,
        scenarios.current_spend_usd,
        scenarios.spend_usd as scenario_spend_usd,
        scenarios.current_incremental_revenue_usd,
        scenarios.incremental_revenue_usd as scenario_incremental_revenue_usd
    from scenarios
    inner join preferred_fits
        on scenarios.country_id = preferred_fits.country_id
        and scenarios.model_scope = preferred_fits.model_scope
)

select * from final
order by country_id desc, spend_change_usd asc
