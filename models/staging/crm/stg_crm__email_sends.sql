{#- Grain: send_date, market_id, campaign_id (one CRM email send per week, on a Tuesday).
    Send cost converted from local currency at the rate of the send's Monday week. -#}
with source as (
    select * from {{ raw_feed('raw_crm__email_sends') }}
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
        {{ media_impact.try_cast('send_date', 'date') }} as send_date,
        market_code,
        campaign_code,
        {{ media_impact.try_cast('emails_sent', dbt.type_bigint()) }} as emails_sent,
        {{ media_impact.try_cast('emails_opened', dbt.type_bigint()) }} as emails_opened,
        {{ media_impact.try_cast('email_clicks', dbt.type_bigint()) }} as email_clicks,
        {{ media_impact.try_cast('send_cost', media_impact.type_double()) }} as spend_local,
        currency as currency_code
    from source
),

final as (
    select
        parsed.send_date,
        {{ media_impact.week_start('parsed.send_date') }} as week_start,
        markets.market_id,
        markets.country_id,
        channel_map.channel_id,
        {{ dbt.concat(["'crm:'", 'parsed.campaign_code']) }} as campaign_id,
        parsed.campaign_code as campaign_name,
        parsed.currency_code,
        parsed.spend_local,
        {{ media_impact.to_usd('parsed.spend_local', 'parsed.currency_code') }} as spend_usd,
        parsed.emails_sent,
        parsed.emails_opened,
        parsed.email_clicks
    from parsed
    -- the CRM already uses the brand's market ids: an inner join would hide unknown ones
    left join markets
        on parsed.market_code = markets.market_id
    left join channel_map
        on {{ dbt.split_part('parsed.campaign_code', "'_'", 3) }} = channel_map.source_channel_code
    left join fx
        on {{ media_impact.week_start('parsed.send_date') }} = fx.week_start
        and parsed.currency_code = fx.currency_code
)

select * from final
