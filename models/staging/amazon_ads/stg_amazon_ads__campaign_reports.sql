{#- Grain: week_start, market_id, campaign_id (Amazon Ads weekly campaign x region report).
    camelCase API names become snake_case; amazon.ca cost converted from CAD. -#}
with source as (
    select * from {{ raw_feed('raw_amazon_ads__campaign_report') }}
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'amazon'
),

channel_map as (
    select * from {{ ref('ref_channel_id_map') }}
    where feed_source = 'campaign_token'
),

markets as (
    select * from {{ ref('ref_markets') }}
),

fx as (
    select * from {{ ref('ref_fx_rates') }}
),

parsed as (
    select
        {{ media_impact.try_cast('startDate', 'date') }} as week_start,
        {{ media_impact.try_cast('endDate', 'date') }} as week_end,
        countrycode as marketplace_country_code,
        currencycode as currency_code,
        campaignid as source_campaign_id,
        campaignname as campaign_name,
        regioncode as region_code,
        {{ media_impact.try_cast('impressions', dbt.type_bigint()) }} as impressions,
        {{ media_impact.try_cast('clicks', dbt.type_bigint()) }} as clicks,
        {{ media_impact.try_cast('cost', media_impact.type_double()) }} as spend_local
    from source
),

final as (
    select
        parsed.week_start,
        parsed.week_end,
        market_map.market_id,
        markets.country_id,
        channel_map.channel_id,
        {{ dbt.concat(["'amazon_ads:'", 'parsed.source_campaign_id']) }} as campaign_id,
        parsed.campaign_name,
        parsed.currency_code,
        parsed.spend_local,
        {{ media_impact.to_usd('parsed.spend_local', 'parsed.currency_code') }} as spend_usd,
        parsed.impressions,
        parsed.clicks
    from parsed
    left join market_map
        on parsed.region_code = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join channel_map
        on {{ dbt.split_part('parsed.campaign_name', "'_'", 3) }} = channel_map.source_channel_code
    left join fx
        on parsed.week_start = fx.week_start
        and parsed.currency_code = fx.currency_code
)

select * from final
