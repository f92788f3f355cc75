{#- The Monday that starts the week of a date, as a date. date_trunc('week')
    is Monday-based on DuckDB and PostgreSQL; Snowflake's depends on the
    WEEK_START session parameter, so it is computed from the ISO weekday there. -#}
{% macro week_start(date_expression) -%}
    {{ return(adapter.dispatch('week_start', 'media_impact')(date_expression)) }}
{%- endmacro %}

{% macro default__week_start(date_expression) -%}
    {{ dbt.cast(dbt.date_trunc('week', date_expression), 'date') }}
{%- endmacro %}

{% macro snowflake__week_start(date_expression) -%}
    dateadd(day, 1 - dayofweekiso({{ date_expression }}), {{ date_expression }})::date
{%- endmacro %}
