{#- Grain: date_day, market_id, product_id (Amazon Vendor Central daily sales).
    Restated rows: the latest load_ts wins (ties broken by the larger revenue, then
    units, so the choice is deterministic). Revenue converted from CAD for amazon.ca. -#}
with source as (
    select * from {{ raw_feed('raw_amazon__vendor_sales') }}
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'amazon'
),

product_map as (
    select * from {{ ref('ref_product_id_map') }}
    where retailer_id = 'amazon'
),

markets as (
    select * from {{ ref('ref_markets') }}
),

fx as (
    select * from {{ ref('ref_fx_rates') }}
),

parsed as (
    select
        {{ media_impact.try_cast('date', 'date') }} as date_day,
        ship_to_region,
        asin,
        {{ media_impact.try_cast('ordered_units', dbt.type_bigint()) }} as units,
        {{ media_impact.try_cast('ordered_revenue', media_impact.type_double()) }} as revenue_local,
        currency_code,
        {{ media_impact.try_cast('load_ts', dbt.type_timestamp()) }} as loaded_at
    from source
),

ranked as (
    select
        parsed.*,
        row_number() over (
            partition by parsed.date_day, parsed.ship_to_region, parsed.asin
            order by parsed.loaded_at desc, parsed.revenue_local desc, parsed.units desc
        ) as load_rank,
        count(*) over (partition by parsed.date_day, parsed.ship_to_region, parsed.asin) as n_loads
    from parsed
),

final as (
    select
        ranked.date_day,
        {{ media_impact.week_start('ranked.date_day') }} as week_start,
        market_map.market_id,
        markets.country_id,
        'amazon' as retailer_id,
        product_map.product_id,
        ranked.asin as retailer_product_code,
        ranked.units,
        ranked.currency_code,
        ranked.revenue_local,
        {{ media_impact.to_usd('ranked.revenue_local', 'ranked.currency_code') }} as revenue_usd,
        ranked.loaded_at,
        ranked.n_loads > 1 as is_restated
    from ranked
    left join market_map
        on ranked.ship_to_region = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join product_map
        on ranked.asin = product_map.retailer_product_code
    left join fx
        on {{ media_impact.week_start('ranked.date_day') }} = fx.week_start
        and ranked.currency_code = fx.currency_code
    where ranked.load_rank = 1
)

select * from final
