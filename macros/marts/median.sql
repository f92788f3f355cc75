{#- Median of an expression as an aggregate: DuckDB's median(), the ordered-set
    aggregate elsewhere (PostgreSQL, Redshift, Snowflake). -#}
{% macro median(expression) %}
    {{ return(adapter.dispatch('median', 'media_impact')(expression)) }}
{% endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro snowflake__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro redshift__median(expression) -%}
    {#- Redshift's percentile_cont must share one ORDER BY with every other sort-based
        aggregate of the query; median() is its own aggregate -#}
    median({{ expression }})
{%- endmacro %}
