{#- Grain: date_day, market_id, channel_id, campaign_id. Every ad feed in one
    delivery shape (Fivetran ad_reporting style). Weekly feeds (Monday weeks) are
    allocated evenly to their 7 days: spend_usd / 7 per day, and whole impressions /
    clicks spread as floor(n / 7) plus one on the first mod(n, 7) days, so weekly sums
    are exact. CRM sends keep their send day. Coupons report clips as impressions and
    redemptions as clicks; CRM reports emails sent as impressions. -#}
{#- Feeds already in the delivery shape: (staging model, platform). -#}
{%- set delivery_feeds = [
    ('stg_meta__ads_insights', 'meta'),
    ('stg_google_ads__campaign_geo_stats', 'google_ads'),
    ('stg_ctv_dsp__deliveries', 'ctv_dsp'),
    ('stg_amazon_ads__campaign_reports', 'amazon_ads'),
    ('stg_walmart_connect__weekly_reports', 'walmart_connect'),
    ('stg_target_roundel__weekly_reports', 'target_roundel'),
] -%}

with coupons as (
    select * from {{ ref('stg_coupons__redemptions') }}
),

crm as (
    select * from {{ ref('stg_crm__email_sends') }}
),

weekly as (
    {%- for model_name, platform in delivery_feeds %}
    select
        week_start,
        market_id,
        country_id,
        channel_id,
        campaign_id,
        campaign_name,
        '{{ platform }}' as platform,
        spend_usd,
        impressions,
        clicks
    from {{ ref(model_name) }}
    union all
    {%- endfor %}
    select
        week_start,
        market_id,
        country_id,
        channel_id,
        campaign_id,
        campaign_name,
        'coupons' as platform,
        spend_usd,
        clips as impressions,
        redemptions as clicks
    from coupons
),

day_offsets as (
    select 0 as day_offset
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
),

weekly_allocated as (
    select
        {{ dbt.cast(dbt.dateadd('day', 'day_offsets.day_offset', 'weekly.week_start'), 'date') }} as date_day,
        weekly.market_id,
        weekly.country_id,
        weekly.channel_id,
        weekly.campaign_id,
        weekly.campaign_name,
        weekly.platform,
        weekly.spend_usd / 7.0 as spend_usd,
        cast(floor(weekly.impressions / 7.0) as {{ dbt.type_bigint() }})
        + case when day_offsets.day_offset < mod(weekly.impressions, 7) then 1 else 0 end as impressions,
        cast(floor(weekly.clicks / 7.0) as {{ dbt.type_bigint() }})
        + case when day_offsets.day_offset < mod(weekly.clicks, 7) then 1 else 0 end as clicks
    from weekly
    cross join day_offsets
),

daily as (
    select
        send_date as date_day,
        market_id,
        country_id,
        channel_id,
        campaign_id,
        campaign_name,
        'crm' as platform,
        spend_usd,
        emails_sent as impressions,
        email_clicks as clicks
    from crm
),

final as (
    select * from weekly_allocated
    union all
    select * from daily
)

select * from final
