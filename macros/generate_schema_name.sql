{#- Use the custom schema name as is (raw, staging, marts, mmm, ...) so that
    analysts query stable names; without one, fall back to the target schema.
    MEDIA_IMPACT_SCHEMA_SUFFIX (set by the build command on PostgreSQL) builds every
    schema under a staging name, which is swapped in only when every test passed
    (media_impact.pipeline.publish). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set suffix = env_var('MEDIA_IMPACT_SCHEMA_SUFFIX', '') -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}{{ suffix }}
    {%- else -%}
        {{ custom_schema_name | trim }}{{ suffix }}
    {%- endif -%}
{%- endmacro %}
