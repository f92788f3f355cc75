{#- The value a contract test checks: the column as is, or parsed from text
    (raw feeds are all text). parse_as: none | 'number' | 'integer' | 'date' |
    'timestamp'. Unparseable text becomes null here; the parseable_as test is the
    one that reports it, so each bad value is reported once, by the right check. -#}
{% macro parsed_value(column_name, parse_as=none, date_format=none) -%}
    {%- if parse_as is none -%}
        {{ column_name }}
    {%- elif parse_as == 'number' -%}
        {{ media_impact.try_cast(dbt.cast(column_name, dbt.type_string()), media_impact.type_double()) }}
    {%- elif parse_as == 'integer' -%}
        {{ media_impact.try_cast(dbt.cast(column_name, dbt.type_string()), dbt.type_bigint()) }}
    {%- elif parse_as == 'date' and date_format is not none -%}
        {{ media_impact.try_parse_date(dbt.cast(column_name, dbt.type_string()), date_format) }}
    {%- elif parse_as == 'date' -%}
        {{ media_impact.try_cast(dbt.cast(column_name, dbt.type_string()), 'date') }}
    {%- elif parse_as == 'timestamp' -%}
        {{ media_impact.try_cast(dbt.cast(column_name, dbt.type_string()), dbt.type_timestamp()) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("parsed_value: unknown parse_as '" ~ parse_as ~ "'") }}
    {%- endif -%}
{%- endmacro %}
