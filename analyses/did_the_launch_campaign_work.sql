{#- Did the launch campaign work?
    The launch is the product launched inside the data window (ref_products);
    its campaign ran for the 12 weeks from the launch date (var
    launch_campaign_weeks). Per country, for the 12 weeks of the flight against
    the 12 weeks before it: media spend, the media contribution the preferred
    MMM fit attributes to those weeks, and the launched product's units and
    revenue in the flight and in the 12 weeks after it (did demand stay?).
    The extra media revenue per extra media dollar is the flight's incremental
    return, counted inside the flight only: carryover after it is left out, so
    it is a lower bound. The first six columns are the answer (narrow enough
    for `dbt show`); the rest back it up. -#}

{%- set flight_weeks = var('launch_campaign_weeks', 12) %}

with

products as (
    select * from {{ ref('ref_products') }}
),

sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

spend as (
    select * from {{ ref('fct_channel_spend_weekly') }}
),

decomposition as (
    select * from {{ ref('mmm_decomposition_weekly') }}
    where component_type = 'media'
),

preferred_fits as (
    select distinct
        country_id,
        model_scope
    from {{ ref('mmm_channel_roi') }}
    where is_preferred
),

launch as (
    select
        products.product_id,
        cast(products.launch_date as date) as launch_date
    from products
    where products.launch_date >= (select min(sales.week_start) from sales)
),

periods as (
    select
        launch.product_id,
        {{ dbt.dateadd('week', -flight_weeks, 'launch.launch_date') }} as before_start,
        launch.launch_date as flight_start,
        {{ dbt.dateadd('week', flight_weeks, 'launch.launch_date') }} as after_start,
        {{ dbt.dateadd('week', 2 * flight_weeks, 'launch.launch_date') }} as after_end
    from launch
),

media_by_period as (
    select
        spend.country_id,
        sum(case when spend.week_start >= periods.before_start and spend.week_start < periods.flight_start
                then spend.spend_usd
            else 0
        end) as spend_before_usd,
        sum(case when spend.week_start >= periods.flight_start and spend.week_start < periods.after_start
                then spend.spend_usd
            else 0
        end) as spend_flight_usd
    from spend
    cross join periods
    group by spend.country_id
),

contribution_by_period as (
    select
        decomposition.country_id,
        sum(case when decomposition.week_start >= periods.before_start
                and decomposition.week_start < periods.flight_start
                then decomposition.contribution_usd
            else 0
        end) as media_revenue_before_usd,
        sum(case when decomposition.week_start >= periods.flight_start
                and decomposition.week_start < periods.after_start
                then decomposition.contribution_usd
            else 0
        end) as media_revenue_flight_usd
    from decomposition
    inner join preferred_fits
        on decomposition.country_id = preferred_fits.country_id
        and decomposition.model_scope = preferred_fits.model_scope
    cross join periods
    group by decomposition.country_id
),

product_sales as (
    select
        sales.country_id,
        sum(case when sales.week_start >= periods.flight_start and sales.week_start < periods.after_start
                then sales.units
            else 0
        end) as launch_units_flight,
        sum(case when sales.week_start >= periods.after_start and sales.week_start < periods.after_end
                then sales.units
            else 0
        end) as launch_units_after,
        sum(case when sales.week_start >= periods.flight_start and sales.week_start < periods.after_start
                then sales.revenue_usd
            else 0
        end) as launch_revenue_flight_usd
    from sales
    inner join periods on sales.product_id = periods.product_id
    group by sales.country_id
),

final as (
    select
        media_by_period.country_id,
        launch.product_id as launched_product_id,
        round(media_by_period.spend_flight_usd - media_by_period.spend_before_usd) as extra_spend_usd,
        round(
            contribution_by_period.media_revenue_flight_usd
            - contribution_by_period.media_revenue_before_usd
        ) as extra_revenue_usd,
        {{ media_impact.round_to(
            '(contribution_by_period.media_revenue_flight_usd - contribution_by_period.media_revenue_before_usd)'
            ~ ' / nullif(media_by_period.spend_flight_usd - media_by_period.spend_before_usd, 0)', 2
        ) }} as flight_roi,
        round(product_sales.launch_units_flight) as launch_units_flight,
        launch.launch_date,
        media_by_period.spend_before_usd,
        media_by_period.spend_flight_usd,
        contribution_by_period.media_revenue_before_usd,
        contribution_by_period.media_revenue_flight_usd,
        product_sales.launch_units_after,
        product_sales.launch_revenue_flight_usd
    from media_by_period
    cross join launch
    left join contribution_by_period on media_by_period.country_id = contribution_by_period.country_id
    left join product_sales on media_by_period.country_id = product_sales.country_id
)

select * from final
order by country_id desc
