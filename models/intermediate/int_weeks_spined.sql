{#- One row per Monday-start week from the first observed sales week to the last,
    plus var('forecast_horizon_weeks') future weeks: the dense calendar every
    weekly mart and window feature is built on. -#}
{{ config(materialized='table') }}  {#- small, read by many marts and tests: compute the scan once -#}
with pos_sales as (
    select * from {{ ref('int_pos_sales_unioned') }}
),

observed_range as (
    select
        min({{ media_impact.week_start('date_day') }}) as first_week_start,
        max({{ media_impact.week_start('date_day') }}) as last_week_start
    from pos_sales
),

spine as (
    {{ media_impact.periods_spine('(select first_week_start from observed_range)', 'week') }}
),

final as (
    select
        spine.period_start as week_start,
        cast(spine.period_index as {{ dbt.type_int() }}) as week_index,
        {{ dbt.cast(dbt.dateadd('day', 6, 'spine.period_start'), 'date') }} as week_end,
        {{ media_impact.calendar_part('year', 'spine.period_start') }} as calendar_year,
        {{ media_impact.calendar_part('month', 'spine.period_start') }} as calendar_month,
        {{ media_impact.iso_week_of_year('spine.period_start') }} as week_of_year,
        spine.period_start > observed_range.last_week_start as is_future
    from spine
    cross join observed_range
    where spine.period_start
        <= {{ dbt.cast(dbt.dateadd('week', var('forecast_horizon_weeks'), 'observed_range.last_week_start'), 'date') }}
)

select * from final
