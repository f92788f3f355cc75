{#- Completeness: every period between the first and the last date present
    (optionally per group) has at least one row. datepart 'day', 'week' (any
    weekday: consecutive dates 7 days apart) or 'month'. Timestamps count by day.
    Returns one row per gap: the last date before it, the next date, and the
    number of periods missing. -#}
{% test no_date_gaps(model, column_name, datepart='day', group_by_columns=[], parse_as=none, date_format=none) %}
{%- set groups = group_by_columns | join(', ') %}
with dates as (
    select distinct
        {% for g in group_by_columns %}{{ g }}, {% endfor %}
        cast({{ media_impact.parsed_value(column_name, parse_as, date_format) }} as date) as period_date
    from {{ model }}
),

ordered as (
    select
        {% for g in group_by_columns %}{{ g }}, {% endfor %}
        period_date,
        lag(period_date) over (
            {% if group_by_columns %}partition by {{ groups }}{% endif %}
            order by period_date
        ) as previous_date
    from dates
    where period_date is not null
),

gaps as (
    select
        {% for g in group_by_columns %}{{ g }}, {% endfor %}
        previous_date,
        period_date as next_date,
        {%- if datepart == 'month' %}
        {{ dbt.datediff('previous_date', 'period_date', 'month') }} - 1 as periods_missing
        {%- else %}
        {{ dbt.datediff('previous_date', 'period_date', 'day') }} / {{ 7 if datepart == 'week' else 1 }} - 1
            as periods_missing
        {%- endif %}
    from ordered
    where previous_date is not null
)

select *
from gaps
where periods_missing > 0
{% endtest %}
