{#- Fractional days from start_at to end_at (timestamps). Dispatched because
    dbt.datediff counts boundaries crossed (whole units), and time decay needs
    the exact elapsed time. -#}
{% macro attribution_days_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('attribution_days_between', 'media_impact')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__attribution_days_between(start_at, end_at) -%}
    ({{ dbt.datediff(start_at, end_at, 'second') }} / 86400.0)
{%- endmacro %}

{% macro duckdb__attribution_days_between(start_at, end_at) -%}
    ((epoch({{ end_at }}) - epoch({{ start_at }})) / 86400.0)
{%- endmacro %}

{% macro postgres__attribution_days_between(start_at, end_at) -%}
    (extract(epoch from ({{ end_at }} - {{ start_at }})) / 86400.0)
{%- endmacro %}

{% macro redshift__attribution_days_between(start_at, end_at) -%}
    {#- Redshift cannot extract an epoch from an interval; datediff in seconds is exact
        for the second-resolution timestamps of the feeds -#}
    (datediff(second, {{ start_at }}, {{ end_at }}) / 86400.0)
{%- endmacro %}
