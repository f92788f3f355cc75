{#- Parse text in a feed's own date layout, null when it does not parse.
    date_format is written strftime-style ('%m/%d/%Y', '%Y%m%d'); each warehouse
    gets its own spelling. -#}
{% macro try_parse_date(expression, date_format) -%}
    {{ return(adapter.dispatch('try_parse_date', 'media_impact')(expression, date_format)) }}
{%- endmacro %}

{% macro default__try_parse_date(expression, date_format) -%}
    cast(try_strptime(trim({{ expression }}), '{{ date_format }}') as date)
{%- endmacro %}

{% macro duckdb__try_parse_date(expression, date_format) -%}
    cast(try_strptime(trim({{ expression }}), '{{ date_format }}') as date)
{%- endmacro %}

{% macro _strftime_to_sql_format(date_format) -%}
    {{- date_format | replace('%Y', 'YYYY') | replace('%m', 'MM') | replace('%d', 'DD') -}}
{%- endmacro %}

{% macro _strftime_to_regex(date_format) -%}
    {{- '^' ~ (date_format | replace('/', '\\/') | replace('.', '\\.') | replace('%Y', '\\d{4}') | replace('%m', '\\d{1,2}') | replace('%d', '\\d{1,2}')) ~ '$' -}}
{%- endmacro %}

{% macro postgres__try_parse_date(expression, date_format) -%}
    case when trim({{ expression }}) ~ '{{ media_impact._strftime_to_regex(date_format) }}'
        then to_date(trim({{ expression }}), '{{ media_impact._strftime_to_sql_format(date_format) }}') end
{%- endmacro %}

{% macro snowflake__try_parse_date(expression, date_format) -%}
    try_to_date(trim({{ expression }}), '{{ media_impact._strftime_to_sql_format(date_format) }}')
{%- endmacro %}

{% macro redshift__try_parse_date(expression, date_format) -%}
    {#- as PostgreSQL, with [0-9] for \d (Redshift string literals treat backslashes as escapes) -#}
    {{ media_impact.postgres__try_parse_date(expression, date_format) | replace('\\d', '[0-9]') }}
{%- endmacro %}
