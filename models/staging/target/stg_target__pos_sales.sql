{#- Grain: week_start, market_id, product_id (Target POS, US only, USD).
    A Target week runs Sunday to Saturday; it maps to the Monday week holding 6 of
    its 7 days (Sunday + 1 day, via ref_retailer_calendars). Restated rows: the latest
    load_ts wins (ties: larger sales, then units). -#}
with source as (
    select * from {{ raw_feed('raw_target__pos_sales') }}
),

calendar as (
    select * from {{ ref('ref_retailer_calendars') }}
    where retailer_id = 'target'
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'target'
),

product_map as (
    select * from {{ ref('ref_product_id_map') }}
    where retailer_id = 'target'
),

markets as (
    select * from {{ ref('ref_markets') }}
),

parsed as (
    select
        week_beginning as target_week_code,
        {{ media_impact.try_parse_date('week_beginning', '%Y%m%d') }} as period_start_date,
        dpci,
        trade_area,
        {{ media_impact.try_cast('sales_units', dbt.type_bigint()) }} as units,
        {{ media_impact.try_cast('sales_usd', media_impact.type_double()) }} as revenue_usd,
        {{ media_impact.try_cast('load_ts', dbt.type_timestamp()) }} as loaded_at
    from source
),

ranked as (
    select
        parsed.*,
        row_number() over (
            partition by target_week_code, trade_area, dpci
            order by loaded_at desc, revenue_usd desc, units desc
        ) as load_rank,
        count(*) over (partition by target_week_code, trade_area, dpci) as n_loads
    from parsed
),

final as (
    select
        calendar.week_start,
        market_map.market_id,
        markets.country_id,
        'target' as retailer_id,
        product_map.product_id,
        ranked.dpci as retailer_product_code,
        ranked.period_start_date,
        ranked.units,
        ranked.revenue_usd,
        ranked.loaded_at,
        ranked.n_loads > 1 as is_restated
    from ranked
    left join calendar
        on ranked.target_week_code = calendar.retailer_week_code
    left join market_map
        on ranked.trade_area = market_map.source_market_code
    left join markets
        on market_map.market_id = markets.market_id
    left join product_map
        on ranked.dpci = product_map.retailer_product_code
    where ranked.load_rank = 1
)

select * from final
