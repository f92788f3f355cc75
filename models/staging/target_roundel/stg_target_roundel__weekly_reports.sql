{#- Grain: week_start, market_id, campaign_id (Roundel weekly report, US only, USD).
    Roundel has no campaign id: the campaign name is the id. -#}
with source as (
    select * from {{ raw_feed('raw_target_roundel__weekly_report') }}
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'target'
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
        {{ media_impact.try_parse_date('report_week', '%Y%m%d') }} as week_start,
        campaign as campaign_name,
        trade_area,
        {{ media_impact.try_cast('spend', media_impact.type_double()) }} as spend_usd,
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
        {{ dbt.concat(["'target_roundel:'", 'parsed.campaign_name']) }} as campaign_id,
        parsed.campaign_name,
        parsed.spend_usd,
        parsed.impressions,
        parsed.clicks
    from parsed
    left join market_map
        on parsed.trade_area = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join channel_map
        on {{ dbt.split_part('parsed.campaign_name', "'_'", 3) }} = channel_map.source_channel_code
)

select * from final
