{#- Grain: week_start, market_id, retailer_id, product_id. Each product's share
    of a retailer's units and revenue in a market-week; shares sum to 1 over the
    products of a market-retailer-week, and are null when nothing sold. -#}
with sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

totals as (
    select
        *,
        sum(units) over (partition by week_start, market_id, retailer_id) as retailer_units,
        sum(revenue_usd) over (partition by week_start, market_id, retailer_id) as retailer_revenue_usd
    from sales
),

final as (
    select
        week_start,
        market_id,
        country_id,
        retailer_id,
        product_id,
        units,
        revenue_usd,
        retailer_units,
        retailer_revenue_usd,
        cast(
            case when retailer_units > 0 then units / retailer_units end
            as {{ media_impact.type_double() }}
        ) as units_share,
        cast(
            case when retailer_revenue_usd > 0 then revenue_usd / retailer_revenue_usd end
            as {{ media_impact.type_double() }}
        ) as revenue_share
    from totals
)

select * from final
