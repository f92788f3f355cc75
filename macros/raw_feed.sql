{#- The one way staging reads a raw feed.
    raw_mode 'seed'  : ref() to the committed seed, so the seed is a DAG parent
                       and `dbt build` never races it.
    raw_mode 'source': source('raw', name), for feeds already loaded in the
                       warehouse (production, or the large benchmark worlds). -#}
{% macro raw_feed(name) -%}
    {%- if var('raw_mode', 'seed') == 'source' -%}
        {{ source('raw', name) }}
    {%- else -%}
        {{ ref(name) }}
    {%- endif -%}
{%- endmacro %}
