{#- What demand should each market expect next quarter?
    The forecast horizon (var forecast_horizon_weeks, default 13 weeks) summed
    per market: median units with the P10-P90 range (series ranges added,
    which is a conservative band), the stocking quantity at each series' critical
    fractile, and the same 13 weeks one year earlier for comparison. The first
    six columns are the answer (narrow enough for `dbt show`). -#}

with

forecast as (
    select * from {{ ref('forecast_weekly') }}
),

sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

markets as (
    select * from {{ ref('ref_markets') }}
),

horizon as (
    select
        min(week_start) as first_week,
        max(week_start) as last_week
    from forecast
),

next_quarter as (
    select
        market_id,
        sum(p10) as units_p10,
        sum(p50) as units_p50,
        sum(p90) as units_p90,
        sum(stocking_units) as stocking_units,
        count(distinct week_start) as weeks
    from forecast
    group by market_id
),

last_year as (
    select
        sales.market_id,
        sum(sales.units) as units
    from sales
    cross join horizon
    where sales.week_start between {{ dbt.dateadd('week', -52, 'horizon.first_week') }}
        and {{ dbt.dateadd('week', -52, 'horizon.last_week') }}
    group by sales.market_id
),

final as (
    select
        markets.country_id,
        next_quarter.market_id,
        round(next_quarter.units_p50) as units_p50,
        round(next_quarter.units_p10) as units_p10,
        round(next_quarter.units_p90) as units_p90,
        round(next_quarter.stocking_units) as stocking_units,
        markets.market_name,
        next_quarter.weeks,
        last_year.units as units_same_weeks_last_year,
        next_quarter.units_p50 / nullif(last_year.units, 0) - 1 as p50_growth_vs_last_year
    from next_quarter
    inner join markets on next_quarter.market_id = markets.market_id
    left join last_year on next_quarter.market_id = last_year.market_id
)

select * from final
order by units_p50 desc
