{#- Grain: week_start, market_id, retailer_id, product_id; dense over observed
    weeks from each product's launch week (zero units when nothing sold). -#}
with pos_sales as (
    select * from {{ ref('int_pos_sales_unioned') }}
),

weeks as (
    select * from {{ ref('int_weeks_spined') }}
    where not is_future
),

retailer_markets as (
    select * from {{ ref('int_retailer_markets_paired') }}
),

products as (
    select * from {{ ref('ref_products') }}
),

weekly as (
    select
        {{ media_impact.week_start('date_day') }} as week_start,
        market_id,
        retailer_id,
        product_id,
        sum(units) as units,
        sum(revenue_usd) as revenue_usd
    from pos_sales
    group by 1, 2, 3, 4
),

grid as (
    select
        weeks.week_start,
        retailer_markets.market_id,
        retailer_markets.country_id,
        retailer_markets.retailer_id,
        products.product_id
    from weeks
    cross join retailer_markets
    inner join products
        on weeks.week_end >= {{ dbt.cast('products.launch_date', 'date') }}
),

final as (
    select
        grid.week_start,
        grid.market_id,
        grid.country_id,
        grid.retailer_id,
        grid.product_id,
        cast(coalesce(weekly.units, 0) as {{ media_impact.type_double() }}) as units,
        cast(coalesce(weekly.revenue_usd, 0) as {{ media_impact.type_double() }}) as revenue_usd
    from grid
    left join weekly
        on grid.week_start = weekly.week_start
        and grid.market_id = weekly.market_id
        and grid.retailer_id = weekly.retailer_id
        and grid.product_id = weekly.product_id
)

select * from final
