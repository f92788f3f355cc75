{#- Grain: week_start, country_id (observed weeks). National retail demand next
    to the macro indicators, holidays and total media spend that drive it: the
    national series the MMM is fit on, per country. -#}
with sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

spend as (
    select * from {{ ref('fct_channel_spend_weekly') }}
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

country_population as (
    select
        country_id,
        sum(population) as population
    from markets
    group by country_id
),

country_sales as (
    select
        week_start,
        country_id,
        sum(units) as units,
        sum(revenue_usd) as revenue_usd
    from sales
    group by week_start, country_id
),

country_spend as (
    select
        week_start,
        country_id,
        sum(spend_usd) as media_spend_usd
    from spend
    group by week_start, country_id
),

final as (
    select
        weeks.week_start,
        country_population.country_id,
        weeks.week_index,
        weeks.week_of_year,
        cast(coalesce(country_sales.units, 0) as {{ media_impact.type_double() }}) as units,
        cast(coalesce(country_sales.revenue_usd, 0) as {{ media_impact.type_double() }}) as revenue_usd,
        cast(coalesce(country_spend.media_spend_usd, 0) as {{ media_impact.type_double() }}) as media_spend_usd,
        cast(country_population.population as {{ media_impact.type_double() }}) as population,
        holidays.is_holiday_week,
        holidays.holiday_name,
        macro.economic_index,
        macro.inflation_rate,
        macro.unemployment_rate
    from weeks
    cross join country_population
    left join country_sales
        on weeks.week_start = country_sales.week_start
        and country_population.country_id = country_sales.country_id
    left join country_spend
        on weeks.week_start = country_spend.week_start
        and country_population.country_id = country_spend.country_id
    left join holidays
        on weeks.week_start = holidays.week_start
        and country_population.country_id = holidays.country_id
    left join macro
        on weeks.week_start = macro.week_start
        and country_population.country_id = macro.country_id
)

select * from final
