{#- Integer calendar parts of a date. ISO week numbers: extract(week) is ISO on
    DuckDB and PostgreSQL; Snowflake's depends on WEEK_OF_YEAR_POLICY, so it uses weekiso. -#}
{% macro iso_week_of_year(date_expression) -%}
    {{ return(adapter.dispatch('iso_week_of_year', 'media_impact')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_week_of_year(date_expression) -%}
    cast(extract(week from {{ date_expression }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro snowflake__iso_week_of_year(date_expression) -%}
    cast(weekiso({{ date_expression }}) as {{ dbt.type_int() }})
{%- endmacro %}

{% macro calendar_part(part, date_expression) -%}
    cast(extract({{ part }} from {{ date_expression }}) as {{ dbt.type_int() }})
{%- endmacro %}
