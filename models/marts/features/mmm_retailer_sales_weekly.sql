{#- Grain: week_start, market_id, retailer_id (observed weeks; the retailers
    that sell in the market, dense). The MMM's response split by retailer: a
    retail-media channel lifts its own retailer's sales more than the others',
    and the split lets the model see that (docs/mmm.md, "Retailer rows"). Sums to
    mmm_design_weekly.revenue_usd per market-week. -#}
with design as (
    select * from {{ ref('mmm_design_weekly') }}
),

retailer_markets as (
    select * from {{ ref('int_retailer_markets_paired') }}
),

retailer_sales as (
    select
        week_start,
        market_id,
        retailer_id,
        sum(revenue_usd) as revenue_usd
    from {{ ref('fct_pos_sales_weekly') }}
    group by week_start, market_id, retailer_id
),

final as (
    select
        design.week_start,
        design.market_id,
        design.country_id,
        retailer_markets.retailer_id,
        cast(coalesce(retailer_sales.revenue_usd, 0) as {{ media_impact.type_double() }}) as revenue_usd
    from design
    inner join retailer_markets
        on design.market_id = retailer_markets.market_id
    left join retailer_sales
        on design.week_start = retailer_sales.week_start
        and design.market_id = retailer_sales.market_id
        and retailer_markets.retailer_id = retailer_sales.retailer_id
)

select * from final
