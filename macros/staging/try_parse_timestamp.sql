{#- Parse text in a feed's own timestamp layout, null when it does not parse.
    timestamp_format is strftime-style ('%m/%d/%Y %H:%M:%S'); each warehouse gets
    its own spelling. Dates alone go through try_parse_date (macros/contract). -#}
{% macro try_parse_timestamp(expression, timestamp_format) -%}
    {{ return(adapter.dispatch('try_parse_timestamp', 'media_impact')(expression, timestamp_format)) }}
{%- endmacro %}

{% macro default__try_parse_timestamp(expression, timestamp_format) -%}
    cast(try_strptime(trim({{ expression }}), '{{ timestamp_format }}') as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro _strftime_to_sql_timestamp_format(timestamp_format) -%}
    {{- timestamp_format | replace('%Y', 'YYYY') | replace('%m', 'MM') | replace('%d', 'DD')
        | replace('%H', 'HH24') | replace('%M', 'MI') | replace('%S', 'SS') -}}
{%- endmacro %}

{% macro _strftime_to_timestamp_regex(timestamp_format) -%}
    {{- '^' ~ (timestamp_format | replace('/', '\\/') | replace('.', '\\.') | replace('%Y', '\\d{4}')
        | replace('%m', '\\d{1,2}') | replace('%d', '\\d{1,2}') | replace('%H', '\\d{1,2}')
        | replace('%M', '\\d{2}') | replace('%S', '\\d{2}')) ~ '$' -}}
{%- endmacro %}

{% macro postgres__try_parse_timestamp(expression, timestamp_format) -%}
    case when trim({{ expression }}) ~ '{{ media_impact._strftime_to_timestamp_regex(timestamp_format) }}'
        then to_timestamp(trim({{ expression }}), '{{ media_impact._strftime_to_sql_timestamp_format(timestamp_format) }}')::timestamp end
{%- endmacro %}

{% macro snowflake__try_parse_timestamp(expression, timestamp_format) -%}
    try_to_timestamp(trim({{ expression }}), '{{ media_impact._strftime_to_sql_timestamp_format(timestamp_format) }}')
{%- endmacro %}

{% macro redshift__try_parse_timestamp(expression, timestamp_format) -%}
    {#- as PostgreSQL, with [0-9] for \d (Redshift string literals treat backslashes as escapes) -#}
    {{ media_impact.postgres__try_parse_timestamp(expression, timestamp_format) | replace('\\d', '[0-9]') }}
{%- endmacro %}
