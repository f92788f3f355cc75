{#- Grain: week_start, market_id, campaign_id (Meta weekly insights, Monday to Sunday).
    Spend converted from the account currency to USD at the week's rate; region
    names mapped to market_id; channel from the campaign-name token. -#}
with source as (
    select * from {{ raw_feed('raw_meta__ads_insights') }}
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'meta'
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
        {{ media_impact.try_cast('date_start', 'date') }} as week_start,
        {{ media_impact.try_cast('date_stop', 'date') }} as week_end,
        account_id,
        account_currency as currency_code,
        campaign_id as source_campaign_id,
        campaign_name,
        region,
        {{ media_impact.try_cast('spend', media_impact.type_double()) }} as spend_local,
        {{ media_impact.try_cast('impressions', dbt.type_bigint()) }} as impressions,
        {{ media_impact.try_cast('inline_link_clicks', dbt.type_bigint()) }} as clicks
    from source
),

final as (
    select
        parsed.week_start,
        parsed.week_end,
        market_map.market_id,
        markets.country_id,
        channel_map.channel_id,
        {{ dbt.concat(["'meta:'", 'parsed.source_campaign_id']) }} as campaign_id,
        parsed.campaign_name,
        parsed.account_id,
        parsed.currency_code,
        parsed.spend_local,
        {{ media_impact.to_usd('parsed.spend_local', 'parsed.currency_code') }} as spend_usd,
        parsed.impressions,
        parsed.clicks
    from parsed
    left join market_map
        on parsed.region = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join channel_map
        on {{ dbt.split_part('parsed.campaign_name', "'_'", 3) }} = channel_map.source_channel_code
    left join fx
        on parsed.week_start = fx.week_start
        and parsed.currency_code = fx.currency_code
)

select * from final
