{#- Grain: week_start, market_id, channel_id (observed weeks, dense: zero spend
    in dark weeks). The MMM's media inputs, with the channel attributes the model
    groups and reports by. -#}
with spend as (
    select * from {{ ref('fct_channel_spend_weekly') }}
),

channels as (
    select * from {{ ref('ref_channels') }}
),

final as (
    select
        spend.week_start,
        spend.market_id,
        spend.country_id,
        spend.channel_id,
        channels.channel_group,
        nullif(channels.retailer_id, '') as retailer_id,
        spend.spend_usd,
        spend.impressions,
        spend.clicks
    from spend
    inner join channels
        on spend.channel_id = channels.channel_id
)

select * from final
