{#- Grain: week_start, country_id, over the whole spine. Each week takes the
    country's latest macro reading published on or before its Monday (readings are
    monthly); future weeks hold the last known reading (a naive hold, flagged by
    is_macro_carried_forward) so forecasts have a value to condition on. -#}
{{ config(materialized='table') }}  {#- small, read by many marts and tests: compute the scan once -#}
with weeks as (
    select * from {{ ref('int_weeks_spined') }}
),

countries as (
    select distinct country_id from {{ ref('ref_markets') }}
),

macro as (
    select * from {{ ref('stg_macro__indicators') }}
),

last_reading as (
    select
        country_id,
        max(period_start) as last_period_start
    from macro
    group by country_id
),

candidates as (
    select
        weeks.week_start,
        countries.country_id,
        macro.period_start,
        macro.economic_index,
        macro.inflation_rate,
        macro.unemployment_rate,
        row_number() over (
            partition by weeks.week_start, countries.country_id
            order by macro.period_start desc
        ) as recency_rank
    from weeks
    cross join countries
    inner join macro
        on countries.country_id = macro.country_id
        and weeks.week_start >= macro.period_start
),

final as (
    select
        candidates.week_start,
        candidates.country_id,
        cast(candidates.economic_index as {{ media_impact.type_double() }}) as economic_index,
        cast(candidates.inflation_rate as {{ media_impact.type_double() }}) as inflation_rate,
        cast(candidates.unemployment_rate as {{ media_impact.type_double() }}) as unemployment_rate,
        candidates.week_start > {{ dbt.cast(dbt.dateadd('day', 31, 'last_reading.last_period_start'), 'date') }}
            as is_macro_carried_forward
    from candidates
    inner join last_reading
        on candidates.country_id = last_reading.country_id
    where candidates.recency_rank = 1
)

select * from final
