{#- Grain: week_start, market_id, campaign_id (Google Ads weekly campaign x geo stats).
    Cost micros / 1e6 in the customer currency, then to USD; SEARCH campaigns are
    paid_search and VIDEO campaigns youtube (the campaign-name token says the same). -#}
with source as (
    select * from {{ raw_feed('raw_google_ads__campaign_geo_stats') }}
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'google_ads'
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
        {{ media_impact.try_cast('segments_week', 'date') }} as week_start,
        customer_id,
        customer_currency_code as currency_code,
        campaign_id as source_campaign_id,
        campaign_name,
        campaign_advertising_channel_type as advertising_channel_type,
        segments_geo_target_region as geo_target,
        {{ media_impact.try_cast('metrics_cost_micros', media_impact.type_double()) }} / 1000000.0 as spend_local,
        {{ media_impact.try_cast('metrics_impressions', dbt.type_bigint()) }} as impressions,
        {{ media_impact.try_cast('metrics_clicks', dbt.type_bigint()) }} as clicks
    from source
),

final as (
    select
        parsed.week_start,
        market_map.market_id,
        markets.country_id,
        channel_map.channel_id,
        {{ dbt.concat(["'google_ads:'", 'parsed.source_campaign_id']) }} as campaign_id,
        parsed.campaign_name,
        parsed.advertising_channel_type,
        parsed.currency_code,
        parsed.spend_local,
        {{ media_impact.to_usd('parsed.spend_local', 'parsed.currency_code') }} as spend_usd,
        parsed.impressions,
        parsed.clicks
    from parsed
    left join market_map
        on parsed.geo_target = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join channel_map
        on {{ dbt.split_part('parsed.campaign_name', "'_'", 3) }} = channel_map.source_channel_code
    left join fx
        on parsed.week_start = fx.week_start
        and parsed.currency_code = fx.currency_code
)

select * from final
