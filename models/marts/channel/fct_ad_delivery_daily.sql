{#- Grain: date_day, market_id, channel_id, campaign_id. Every ad platform's
    delivery in one shape (after staging unified units, currency and ids). -#}
with delivery as (
    select * from {{ ref('int_ad_delivery_unioned') }}
),

markets as (
    select * from {{ ref('ref_markets') }}
),

aggregated as (
    -- a campaign can appear on several rows of a day (ad sets, creatives)
    select
        date_day,
        market_id,
        channel_id,
        campaign_id,
        sum(spend_usd) as spend_usd,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from delivery
    group by date_day, market_id, channel_id, campaign_id
),

final as (
    select
        cast(aggregated.date_day as date) as date_day,
        {{ media_impact.week_start('aggregated.date_day') }} as week_start,
        aggregated.market_id,
        markets.country_id,
        aggregated.channel_id,
        aggregated.campaign_id,
        cast(aggregated.spend_usd as {{ media_impact.type_double() }}) as spend_usd,
        cast(aggregated.impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(aggregated.clicks as {{ dbt.type_bigint() }}) as clicks
    from aggregated
    inner join markets
        on aggregated.market_id = markets.market_id
)

select * from final
