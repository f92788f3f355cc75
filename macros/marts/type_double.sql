{#- 8-byte float for money and volumes. dbt.type_float() is `float`, which is a
    4-byte REAL on DuckDB (7 significant digits: a $35M total would lose cents);
    `double precision` is the same 8-byte type on DuckDB, PostgreSQL and Snowflake. -#}
{% macro type_double() -%}
    double precision
{%- endmacro %}
