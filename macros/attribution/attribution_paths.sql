{#- Distinct paths from journey touches: path ("a > b > c", touch order, repeats
    kept), journeys, conversions, conversion_value_usd, null_count (journeys that
    did not convert), path_length. -#}
{% macro attribution_paths(journey_touches) -%}
with

journeys as (

    select
        user_id,
        prior_conversions,
        journey_window,
        {{ dbt.listagg('channel_id', "' > '", 'order by touch_index') }} as path,
        max(touch_count) as path_length,
        max(conversions) as conversions,
        max(conversion_value_usd) as conversion_value_usd
    from {{ journey_touches }}
    group by user_id, prior_conversions, journey_window

),

final as (

    select
        path,
        max(path_length) as path_length,
        count(*) as journeys,
        {{ dbt.cast("sum(conversions)", dbt.type_bigint()) }} as conversions,
        cast(sum(conversion_value_usd) as {{ type_double() }}) as conversion_value_usd,
        {{ dbt.cast("count(*) - sum(conversions)", dbt.type_bigint()) }} as null_count
    from journeys
    group by path

)

select * from final
{%- endmacro %}
