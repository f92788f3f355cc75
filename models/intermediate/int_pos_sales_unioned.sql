{#- Grain: date_day, market_id, retailer_id, product_id. Every retailer's POS feed
    in one shape, restatements already resolved in staging. Amazon rows are days;
    Walmart and Target rows are whole retailer weeks mapped to a Monday week, with
    date_day = that week_start (source_grain says which). Revenue in USD. -#}
with amazon as (
    select * from {{ ref('stg_amazon__vendor_sales') }}
),

walmart as (
    select * from {{ ref('stg_walmart__retail_link_sales') }}
),

target as (
    select * from {{ ref('stg_target__pos_sales') }}
),

final as (
    select
        date_day,
        week_start,
        market_id,
        country_id,
        retailer_id,
        product_id,
        'day' as source_grain,
        units,
        revenue_usd
    from amazon
    {%- for weekly_feed in ['walmart', 'target'] %}
    union all
    select
        week_start as date_day,
        week_start,
        market_id,
        country_id,
        retailer_id,
        product_id,
        'week' as source_grain,
        units,
        revenue_usd
    from {{ weekly_feed }}
    {%- endfor %}
)

select * from final
