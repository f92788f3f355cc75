{#- Grain: market_id, retailer_id. The retailers that sold in a market at any
    time in the window (Target only in the US): the rows every dense weekly
    sales table carries. -#}
{{ config(materialized='table') }}  {#- small, read by many marts and tests: compute the scan once -#}
with pos_sales as (
    select * from {{ ref('int_pos_sales_unioned') }}
),

markets as (
    select * from {{ ref('ref_markets') }}
),

final as (
    select distinct
        pos_sales.market_id,
        markets.country_id,
        pos_sales.retailer_id
    from pos_sales
    inner join markets
        on pos_sales.market_id = markets.market_id
)

select * from final
