{#- A dense spine of consecutive periods (datepart 'day' or 'week') from a start
    date expression, n_periods long, written with dbt's portable generate_series.
    Columns: period_index (0-based), period_start (date). max_periods bounds the
    series at compile time; the caller filters to its real end date. -#}
{% macro periods_spine(start_date_expression, datepart='week', max_periods=none) -%}
    {%- set n = max_periods if max_periods is not none else var('spine_max_periods', 4000) -%}
    select
        series.generated_number - 1 as period_index,
        {{ dbt.cast(dbt.dateadd(datepart, 'series.generated_number - 1', start_date_expression), 'date') }} as period_start
    from ({{ dbt.generate_series(n) }}) as series
{%- endmacro %}
