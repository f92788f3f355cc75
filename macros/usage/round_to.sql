{#- round(expression, digits) for a double: PostgreSQL has round(numeric, int) only,
    so the value is cast to numeric there; DuckDB, Snowflake and Redshift round a
    double directly. -#}
{% macro round_to(expression, digits) %}
    {{ return(adapter.dispatch('round_to', 'media_impact')(expression, digits)) }}
{% endmacro %}

{% macro default__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_to(expression, digits) -%}
    round(cast({{ expression }} as numeric), {{ digits }})
{%- endmacro %}

{% macro redshift__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}
