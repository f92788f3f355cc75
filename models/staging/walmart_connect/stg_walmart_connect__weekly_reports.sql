{#- Grain: week_start, market_id, campaign_id (Walmart Connect weekly report, US only, USD).
    US-style dates parsed; 'DMA <code>' market codes mapped to market_id. -#}
with source as (
    select * from {{ raw_feed('raw_walmart_connect__weekly_report') }}
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'walmart'
),

channel_map as (
    select * from {{ ref('ref_channel_id_map') }}
    where feed_source = 'campaign_token'
),

markets as (
    select * from {{ ref('ref_markets') }}
),

parsed as (
    select
        {{ media_impact.try_parse_date('week_start_date', '%m/%d/%Y') }} as week_start,
        campaign_id as source_campaign_id,
        campaign_name,
        market_code,
        {{ media_impact.try_cast('ad_spend', media_impact.type_double()) }} as spend_usd,
        {{ media_impact.try_cast('impressions', dbt.type_bigint()) }} as impressions,
        {{ media_impact.try_cast('clicks', dbt.type_bigint()) }} as clicks
    from source
),

final as (
    select
        parsed.week_start,
        market_map.market_id,
        markets.country_id,
        channel_map.channel_id,
        {{ dbt.concat(["'walmart_connect:'", 'parsed.source_campaign_id']) }} as campaign_id,
        parsed.campaign_name,
        parsed.spend_usd,
        parsed.impressions,
        parsed.clicks
    from parsed
    left join market_map
        on parsed.market_code = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join channel_map
        on {{ dbt.split_part('parsed.campaign_name', "'_'", 3) }} = channel_map.source_channel_code
)

select * from final
