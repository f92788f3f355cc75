{#- Grain: week_start, market_id, channel_id; dense over observed weeks and the
    channels that ran in the market's country (zero when dark). -#}
with daily as (
    select * from {{ ref('fct_ad_delivery_daily') }}
),

weeks as (
    select * from {{ ref('int_weeks_spined') }}
    where not is_future
),

channel_markets as (
    select * from {{ ref('int_channel_markets_paired') }}
),

weekly as (
    select
        week_start,
        market_id,
        channel_id,
        sum(spend_usd) as spend_usd,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        count(distinct campaign_id) as n_campaigns
    from daily
    group by week_start, market_id, channel_id
),

final as (
    select
        weeks.week_start,
        channel_markets.market_id,
        channel_markets.country_id,
        channel_markets.channel_id,
        cast(coalesce(weekly.spend_usd, 0) as {{ media_impact.type_double() }}) as spend_usd,
        cast(coalesce(weekly.impressions, 0) as {{ dbt.type_bigint() }}) as impressions,
        cast(coalesce(weekly.clicks, 0) as {{ dbt.type_bigint() }}) as clicks,
        cast(coalesce(weekly.n_campaigns, 0) as {{ dbt.type_int() }}) as n_campaigns
    from weeks
    cross join channel_markets
    left join weekly
        on weeks.week_start = weekly.week_start
        and channel_markets.market_id = weekly.market_id
        and channel_markets.channel_id = weekly.channel_id
)

select * from final
