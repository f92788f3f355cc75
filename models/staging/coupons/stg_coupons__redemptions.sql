{#- Grain: week_start, market_id, campaign_id (digital coupon offer, Monday week).
    spend = redemptions x (face value + clearing fee), converted to USD. -#}
with source as (
    select * from {{ raw_feed('raw_coupons__redemptions') }}
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
        {{ media_impact.try_cast('week_of', 'date') }} as week_start,
        market_code,
        offer_code,
        {{ media_impact.try_cast('clips', dbt.type_bigint()) }} as clips,
        {{ media_impact.try_cast('redemptions', dbt.type_bigint()) }} as redemptions,
        {{ media_impact.try_cast('face_value', media_impact.type_double()) }} as face_value_local,
        {{ media_impact.try_cast('clearing_fee', media_impact.type_double()) }} as clearing_fee_local,
        currency as currency_code
    from source
),

costed as (
    select
        *,
        redemptions * (face_value_local + clearing_fee_local) as spend_local
    from parsed
),

final as (
    select
        costed.week_start,
        markets.market_id,
        markets.country_id,
        channel_map.channel_id,
        {{ dbt.concat(["'coupons:'", 'costed.offer_code']) }} as campaign_id,
        costed.offer_code as campaign_name,
        costed.currency_code,
        costed.spend_local,
        {{ media_impact.to_usd('costed.spend_local', 'costed.currency_code') }} as spend_usd,
        costed.clips,
        costed.redemptions
    from costed
    left join markets
        on costed.market_code = markets.market_id
    left join channel_map
        on {{ dbt.split_part('costed.offer_code', "'_'", 3) }} = channel_map.source_channel_code
    left join fx
        on costed.week_start = fx.week_start
        and costed.currency_code = fx.currency_code
)

select * from final
