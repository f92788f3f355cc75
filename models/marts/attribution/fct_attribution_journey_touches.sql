{#- Grain: touchpoint_id. Each clean-room touch placed in its journey: the path to
    the user's next conversion within var('lookback_days'), or a non-converting
    window of that length. Logic: macros/attribution/attribution_journey_touches.sql. -#}
with

touchpoints as (
    select * from {{ ref('stg_cleanroom__touchpoints') }}
    where touched_at is not null
        and channel_id is not null
),

conversions as (
    select * from {{ ref('stg_cleanroom__conversions') }}
    where converted_at is not null
),

final as (
    {{ attribution_journey_touches('touchpoints', 'conversions', var('lookback_days')) }}
)

select * from final
