{#- A cast that yields null instead of failing on unparseable text.
    dbt.safe_cast is a plain cast on DuckDB, so this dispatches to the real
    try-cast of each warehouse. -#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'media_impact')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro snowflake__try_cast(expression, data_type) -%}
    try_cast(({{ expression }})::varchar as {{ data_type }})
{%- endmacro %}

{% macro postgres__try_cast(expression, data_type) -%}
    {#- Postgres has no try_cast: accept only text that matches the type's shape. -#}
    {%- set t = data_type | lower -%}
    {%- if t.startswith('date') -%}
    case when trim({{ expression }}::text) ~ '^\d{4}-\d{2}-\d{2}$'
        then trim({{ expression }}::text)::date end
    {%- elif t.startswith('int') or t.startswith('bigint') -%}
    case when trim({{ expression }}::text) ~ '^[-+]?\d+$'
        then trim({{ expression }}::text)::{{ data_type }} end
    {%- elif t.startswith('timestamp') -%}
    case when trim({{ expression }}::text) ~ '^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$'
        then trim({{ expression }}::text)::timestamp end
    {%- else -%}
    case when trim({{ expression }}::text) ~ '^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$'
        then trim({{ expression }}::text)::{{ data_type }} end
    {%- endif -%}
{%- endmacro %}

{% macro redshift__try_cast(expression, data_type) -%}
    {#- Redshift has no try_cast either; its regex literals treat backslashes as
        escapes and `text` is varchar(256): the PostgreSQL shapes with [0-9] and varchar. -#}
    {{ media_impact.postgres__try_cast(expression, data_type) | replace('\\d', '[0-9]') | replace('::text', '::varchar') }}
{%- endmacro %}
