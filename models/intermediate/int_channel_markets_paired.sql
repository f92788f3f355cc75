{#- Grain: market_id, channel_id. The channels that ran in a market's country
    at any time in the window: the rows every dense weekly channel table carries
    (a week without delivery is a week of zero spend, not a missing row). -#}
{{ config(materialized='table') }}  {#- small, read by many marts and tests: compute the scan once -#}
with delivery as (
    select * from {{ ref('int_ad_delivery_unioned') }}
),

markets as (
    select * from {{ ref('ref_markets') }}
),

country_channels as (
    select distinct
        markets.country_id,
        delivery.channel_id
    from delivery
    inner join markets
        on delivery.market_id = markets.market_id
),

final as (
    select
        markets.market_id,
        markets.country_id,
        country_channels.channel_id
    from markets
    inner join country_channels
        on markets.country_id = country_channels.country_id
)

select * from final
