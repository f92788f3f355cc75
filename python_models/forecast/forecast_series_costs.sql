{#- Grain: market_id, retailer_id. The money side of each forecast series: unit
    margin (cost of a unit under-forecast, a lost sale) and unit holding/waste
    cost (cost of a unit over-forecast) of ref_products, weighted by the series'
    units over its last 52 observed weeks (its recent product mix), and the
    critical fractile tau = margin / (margin + holding cost). -#}
with sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

products as (
    select * from {{ ref('ref_products') }}
),

last_week as (
    select max(week_start) as max_week_start from sales
),

recent as (
    select
        sales.market_id,
        sales.retailer_id,
        sales.units,
        products.unit_margin_usd,
        products.unit_holding_cost_usd
    from sales
    inner join products
        on sales.product_id = products.product_id
    cross join last_week
    where sales.week_start > {{ dbt.dateadd('week', -52, 'last_week.max_week_start') }}
),

weighted as (
    select
        market_id,
        retailer_id,
        sum(units) as units_last_52_weeks,
        sum(units * unit_margin_usd) / nullif(sum(units), 0) as unit_margin_usd,
        sum(units * unit_holding_cost_usd) / nullif(sum(units), 0) as unit_holding_cost_usd
    from recent
    group by market_id, retailer_id
),

final as (
    select
        market_id,
        retailer_id,
        cast(units_last_52_weeks as {{ media_impact.type_double() }}) as units_last_52_weeks,
        cast(unit_margin_usd as {{ media_impact.type_double() }}) as unit_margin_usd,
        cast(unit_holding_cost_usd as {{ media_impact.type_double() }}) as unit_holding_cost_usd,
        cast(unit_margin_usd / (unit_margin_usd + unit_holding_cost_usd) as {{ media_impact.type_double() }})
            as critical_fractile
    from weighted
)

select * from final
