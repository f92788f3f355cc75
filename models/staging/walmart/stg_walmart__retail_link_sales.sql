{#- Grain: week_start, market_id, product_id (Walmart Retail Link, one fiscal week each).
    A Walmart fiscal week runs Saturday to Friday; ref_retailer_calendars maps it to
    the Monday week holding 5 of its 7 days (Saturday + 2 days). Restated rows: the
    latest Load Timestamp wins (ties: larger sales, then units). -#}
with source as (
    select * from {{ raw_feed('raw_walmart__retail_link_sales') }}
),

calendar as (
    select * from {{ ref('ref_retailer_calendars') }}
    where retailer_id = 'walmart'
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'walmart'
),

product_map as (
    select * from {{ ref('ref_product_id_map') }}
    where retailer_id = 'walmart'
),

markets as (
    select * from {{ ref('ref_markets') }}
),

fx as (
    select * from {{ ref('ref_fx_rates') }}
),

parsed as (
    select
        "WM Week" as walmart_week_code,
        {{ media_impact.try_parse_date('"Week Ending Date"', '%m/%d/%Y') }} as week_end_date,
        "Store Market" as store_market,
        "Item Nbr" as item_number,
        {{ media_impact.try_cast('"POS Qty"', dbt.type_bigint()) }} as units,
        {{ media_impact.try_cast('"POS Sales"', media_impact.type_double()) }} as revenue_local,
        "Currency" as currency_code,
        {{ media_impact.try_parse_timestamp('"Load Timestamp"', '%m/%d/%Y %H:%M:%S') }} as loaded_at
    from source
),

ranked as (
    select
        parsed.*,
        row_number() over (
            partition by parsed.walmart_week_code, parsed.store_market, parsed.item_number
            order by parsed.loaded_at desc, parsed.revenue_local desc, parsed.units desc
        ) as load_rank,
        count(*) over (partition by parsed.walmart_week_code, parsed.store_market, parsed.item_number) as n_loads
    from parsed
),

final as (
    select
        calendar.week_start,
        market_map.market_id,
        markets.country_id,
        'walmart' as retailer_id,
        product_map.product_id,
        ranked.item_number as retailer_product_code,
        ranked.walmart_week_code,
        calendar.period_start_date,
        ranked.week_end_date as period_end_date,
        ranked.units,
        ranked.currency_code,
        ranked.revenue_local,
        {{ media_impact.to_usd('ranked.revenue_local', 'ranked.currency_code') }} as revenue_usd,
        ranked.loaded_at,
        ranked.n_loads > 1 as is_restated
    from ranked
    left join calendar
        on ranked.walmart_week_code = calendar.retailer_week_code
    left join market_map
        on ranked.store_market = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join product_map
        on ranked.item_number = product_map.retailer_product_code
    left join fx
        on calendar.week_start = fx.week_start
        and ranked.currency_code = fx.currency_code
    where ranked.load_rank = 1
)

select * from final
