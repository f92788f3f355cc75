{#- Grain: week_start, country_id, over the whole spine (future weeks too).
    A week is a holiday week when one of the country's holidays falls between its
    Monday and Sunday; several holidays in one week are listed together. -#}
{{ config(materialized='table') }}  {#- small, read by many marts and tests: compute the scan once -#}
with weeks as (
    select * from {{ ref('int_weeks_spined') }}
),

countries as (
    select distinct country_id from {{ ref('ref_markets') }}
),

holidays as (
    select * from {{ ref('ref_holidays') }}
),

holidays_in_weeks as (
    select
        weeks.week_start,
        holidays.country_id,
        {{ dbt.listagg('holidays.holiday_name', "', '", "order by holidays.holiday_date, holidays.holiday_name") }}
            as holiday_name
    from weeks
    inner join holidays
        on {{ dbt.cast('holidays.holiday_date', 'date') }} between weeks.week_start and weeks.week_end
    group by weeks.week_start, holidays.country_id
),

final as (
    select
        weeks.week_start,
        countries.country_id,
        holidays_in_weeks.holiday_name is not null as is_holiday_week,
        holidays_in_weeks.holiday_name
    from weeks
    cross join countries
    left join holidays_in_weeks
        on weeks.week_start = holidays_in_weeks.week_start
        and countries.country_id = holidays_in_weeks.country_id
)

select * from final
