{#- Grain: channel_id, attribution_model (first_touch, last_touch, linear,
    time_decay with half-life var('time_decay_half_life_days'), position_based
    40/20/40). Credited conversions and conversion value per channel. -#}
with

journey_touches as (
    select * from {{ ref('fct_attribution_journey_touches') }}
),

credit as (
    {{ attribution_heuristic_credit('journey_touches', var('time_decay_half_life_days')) }}
),

totals as (
    select
        attribution_model,
        sum(credited_conversions) as model_conversions
    from credit
    group by attribution_model
),

final as (
    select
        credit.channel_id,
        credit.attribution_model,
        credit.credited_conversions,
        credit.credited_value_usd,
        credit.credited_conversions / nullif(totals.model_conversions, 0) as credit_share
    from credit
    inner join totals
        on credit.attribution_model = totals.attribution_model
)

select * from final
