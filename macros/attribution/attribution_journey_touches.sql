{#- Cut each user's touches into journeys and number the touches.

    A touch belongs to the user's next conversion at or after it (a touch at the
    same instant as a conversion counts for it) when that conversion is at most
    `lookback_days` later: the journey is that conversion's path. Every other
    touch is non-converting; the non-converting touches between two conversions
    of a user are cut into consecutive windows of `lookback_days`, counted from
    the user's previous conversion (or, before the first one, from the user's
    first event), and each window is a non-converting journey.

    touchpoints: relation with touchpoint_id, user_id, touched_at, channel_id
    conversions: relation with conversion_id, user_id, converted_at, conversion_value_usd
    A journey is keyed by (user_id, prior_conversions: the user's conversions
    before it, journey_window: -1 for the converting journey, else the window
    number); integer keys keep the windows cheap at scale.
    Returns one row per touch: user_id, prior_conversions, journey_window, touchpoint_id, channel_id,
    touched_at, touch_index (1 = first), touch_count, is_converting, conversions
    (1 or 0, the same on every touch of the journey), conversion_id,
    conversion_value_usd, journey_end_at, days_before_end.
    Portable SQL (window functions, joins, cross-database macros). -#}
{% macro attribution_journey_touches(touchpoints, conversions, lookback_days) -%}
with

events as (

    select
        user_id,
        touched_at as event_at,
        0 as is_conversion,
        touchpoint_id,
        channel_id,
        null as conversion_id
    from {{ touchpoints }}

    union all

    select
        user_id,
        converted_at as event_at,
        1 as is_conversion,
        null as touchpoint_id,
        null as channel_id,
        conversion_id
    from {{ conversions }}

),

events_sequenced as (

    -- one ordered pass per user with a single window specification (one sort).
    -- The default frame runs to the current row and its peers; touches sort before
    -- conversions at the same instant, so for a touch the running count is the
    -- conversions strictly before it and a touch at a conversion's instant counts for it
    select
        user_id,
        event_at,
        is_conversion,
        touchpoint_id,
        channel_id,
        sum(is_conversion) over user_events as conversions_before,
        max(case when is_conversion = 1 then event_at end) over user_events as previous_conversion_at,
        min(event_at) over user_events as first_event_at
    from events
    window user_events as (partition by user_id order by event_at, is_conversion)

),

conversions_numbered as (

    select
        conversion_id,
        user_id,
        converted_at,
        conversion_value_usd,
        row_number() over (partition by user_id order by converted_at, conversion_id) as conversion_number
    from {{ conversions }}

),

touches_windowed as (

    select
        touches.user_id,
        touches.touchpoint_id,
        touches.channel_id,
        touches.event_at as touched_at,
        touches.conversions_before,
        case
            when next_conversion.converted_at is not null
                and {{ attribution_days_between('touches.event_at', 'next_conversion.converted_at') }}
                    <= {{ lookback_days }}
                then 1
            else 0
        end as is_converting,
        -- non-converting touches: windows of lookback_days counted from the user's
        -- previous conversion (or first event)
        floor(
            {{ attribution_days_between('coalesce(touches.previous_conversion_at, touches.first_event_at)', 'touches.event_at') }}
            / {{ lookback_days }}
        ) as window_number,
        next_conversion.conversion_id,
        next_conversion.converted_at,
        next_conversion.conversion_value_usd
    from events_sequenced as touches
    left join conversions_numbered as next_conversion
        on next_conversion.user_id = touches.user_id
        and next_conversion.conversion_number = touches.conversions_before + 1
    where touches.is_conversion = 0

),

touches_journeyed as (

    select
        conversions_before as prior_conversions,
        -- -1 for the converting journey, else the number of the non-converting window
        {{ dbt.cast('case when is_converting = 1 then -1 else window_number end', dbt.type_int()) }} as journey_window,
        user_id,
        touchpoint_id,
        channel_id,
        touched_at,
        is_converting,
        case when is_converting = 1 then conversion_id end as conversion_id,
        case when is_converting = 1 then conversion_value_usd else 0 end as conversion_value_usd,
        case when is_converting = 1 then converted_at end as converted_at
    from touches_windowed

),

final as (

    select
        user_id,
        prior_conversions,
        journey_window,
        touchpoint_id,
        channel_id,
        touched_at,
        row_number() over (
            partition by user_id, prior_conversions, journey_window
            order by touched_at, touchpoint_id
        ) as touch_index,
        count(*) over (partition by user_id, prior_conversions, journey_window) as touch_count,
        is_converting,
        is_converting as conversions,
        conversion_id,
        cast(conversion_value_usd as {{ type_double() }}) as conversion_value_usd,
        coalesce(
            converted_at,
            max(touched_at) over (partition by user_id, prior_conversions, journey_window)
        ) as journey_end_at
    from touches_journeyed

)

select
    *,
    {{ attribution_days_between('touched_at', 'journey_end_at') }} as days_before_end
from final
{%- endmacro %}
