{#- Rule-based credit per channel from journey touches.

    journey_touches: relation with the journey key (user_id, prior_conversions,
    journey_window), touch_index (1 = first),
    touch_count, channel_id, conversions, conversion_value_usd (per journey,
    repeated on each of its touches) and days_before_end (touch to conversion).
    Each journey's conversions and value are split over its touches by

      first_touch     1 for touch 1
      last_touch      1 for the last touch
      linear          1 / n
      time_decay      2^(-d / half_life) / sum over the journey of 2^(-d / half_life)
      position_based  n = 1: 1; n = 2: 1/2 each; n >= 3: 0.4 first, 0.4 last,
                      0.2 / (n - 2) each touch between

    (repeated channels keep every touch). Returns channel_id, attribution_model,
    credited_conversions, credited_value_usd. Portable SQL. -#}
{% macro attribution_heuristic_credit(journey_touches, half_life_days) -%}
with

converting_touches as (

    select
        user_id,
        prior_conversions,
        journey_window,
        channel_id,
        touch_index,
        touch_count,
        conversions,
        conversion_value_usd,
        power(0.5, days_before_end / {{ half_life_days }}) as decay
    from {{ journey_touches }}
    where conversions > 0

),

touch_weights as (

    select
        channel_id,
        conversions,
        conversion_value_usd,
        case when touch_index = 1 then 1.0 else 0.0 end as w_first_touch,
        case when touch_index = touch_count then 1.0 else 0.0 end as w_last_touch,
        1.0 / touch_count as w_linear,
        decay / sum(decay) over (partition by user_id, prior_conversions, journey_window) as w_time_decay,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 then 0.5
            when touch_index = 1 or touch_index = touch_count then 0.4
            else 0.2 / (touch_count - 2)
        end as w_position_based
    from converting_touches

),

channel_credit as (

    select
        channel_id,
        {%- for model in ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'] %}
        sum(w_{{ model }} * conversions) as {{ model }}_conversions,
        sum(w_{{ model }} * conversion_value_usd) as {{ model }}_value_usd{{ ',' if not loop.last }}
        {%- endfor %}
    from touch_weights
    group by channel_id

),

final as (

    {%- for model in ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'] %}
    select
        channel_id,
        '{{ model }}' as attribution_model,
        cast({{ model }}_conversions as {{ type_double() }}) as credited_conversions,
        cast({{ model }}_value_usd as {{ type_double() }}) as credited_value_usd
    from channel_credit
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select * from final
{%- endmacro %}
