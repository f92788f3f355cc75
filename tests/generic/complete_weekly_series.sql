{#- Completeness and freshness per series: every series (e.g. market x retailer) has a
    row in every week from its own first week through the last week any series
    reaches. A late file (a feed whose last week is behind the others) and a week
    missing for one market both fail here instead of being read as zero sales.
    Returns one row per short series: its first and last week, the weeks present and
    expected, and the last week of the others. -#}
{% test complete_weekly_series(model, column_name, series=[]) %}
{%- set keys = series | join(', ') %}
with observed as (
    select distinct {{ keys }}, {{ column_name }} as week_start
    from {{ model }}
),

latest as (
    select max(week_start) as last_week_all from observed
),

per_series as (
    select
        {{ keys }},
        min(week_start) as first_week,
        max(week_start) as last_week,
        count(*) as weeks_present
    from observed
    group by {{ keys }}
),

final as (
    select
        per_series.*,
        latest.last_week_all,
        cast({{ dbt.datediff('per_series.first_week', 'latest.last_week_all', 'day') }} / 7 + 1
             as {{ dbt.type_int() }}) as weeks_expected,
        case when per_series.last_week < latest.last_week_all then 'late: ends before the other series'
             else 'missing weeks' end as problem
    from per_series
    cross join latest
)

select * from final
where weeks_present < weeks_expected
{% endtest %}
