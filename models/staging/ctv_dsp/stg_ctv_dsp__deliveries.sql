{#- Grain: week_start, market_id, campaign_id (CTV DSP weekly delivery).
    The export's quoted human column names become snake_case; cost is already USD. -#}
with source as (
    select * from {{ raw_feed('raw_ctv_dsp__delivery') }}
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'ctv_dsp'
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
        {{ media_impact.try_parse_date('"Week"', '%m/%d/%Y') }} as week_start,
        "Advertiser" as advertiser_name,
        "Campaign" as campaign_name,
        "Campaign ID" as source_campaign_id,
        "Metro" as metro,
        {{ media_impact.try_cast('"Impressions"', dbt.type_bigint()) }} as impressions,
        {{ media_impact.try_cast('"Completed Views"', dbt.type_bigint()) }} as completed_views,
        {{ media_impact.try_cast('"Clicks"', dbt.type_bigint()) }} as clicks,
        {{ media_impact.try_cast('"Advertiser Cost (USD)"', media_impact.type_double()) }} as spend_usd
    from source
),

final as (
    select
        parsed.week_start,
        market_map.market_id,
        markets.country_id,
        channel_map.channel_id,
        {{ dbt.concat(["'ctv_dsp:'", 'parsed.source_campaign_id']) }} as campaign_id,
        parsed.campaign_name,
        parsed.advertiser_name,
        parsed.spend_usd,
        parsed.impressions,
        parsed.completed_views,
        parsed.clicks
    from parsed
    left join market_map
        on parsed.metro = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join channel_map
        on {{ dbt.split_part('parsed.campaign_name', "'_'", 3) }} = channel_map.source_channel_code
)

select * from final
