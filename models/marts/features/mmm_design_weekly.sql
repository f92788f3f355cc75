{#- Grain: week_start, market_id (observed weeks). The MMM's response and
    control variables per market-week: revenue and units over all retailers and
    products, a linear trend, holidays and the country's macro indicators. The
    national series is the sum over a country's markets (fct_country_demand_weekly). -#}
with sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

weeks as (
    select * from {{ ref('int_weeks_spined') }}
    where not is_future
),

markets as (
    select * from {{ ref('ref_markets') }}
),

holidays as (
    select * from {{ ref('int_holiday_weeks_flagged') }}
),

macro as (
    select * from {{ ref('int_macro_weeks_filled') }}
),

market_sales as (
    select
        week_start,
        market_id,
        sum(units) as units,
        sum(revenue_usd) as revenue_usd
    from sales
    group by week_start, market_id
),

final as (
    select
        weeks.week_start,
        markets.market_id,
        markets.country_id,
        cast(coalesce(market_sales.revenue_usd, 0) as {{ media_impact.type_double() }}) as revenue_usd,
        cast(coalesce(market_sales.units, 0) as {{ media_impact.type_double() }}) as units,
        cast(markets.population as {{ media_impact.type_double() }}) as population,
        -- years since the first week: a linear trend regressor on an interpretable scale
        cast(weeks.week_index as {{ media_impact.type_double() }}) / 52.0 as trend_index,
        weeks.week_of_year,
        holidays.is_holiday_week,
        holidays.holiday_name,
        macro.economic_index,
        macro.inflation_rate,
        macro.unemployment_rate
    from weeks
    cross join markets
    left join market_sales
        on weeks.week_start = market_sales.week_start
        and markets.market_id = market_sales.market_id
    left join holidays
        on weeks.week_start = holidays.week_start
        and markets.country_id = holidays.country_id
    left join macro
        on weeks.week_start = macro.week_start
        and markets.country_id = macro.country_id
)

select * from final
