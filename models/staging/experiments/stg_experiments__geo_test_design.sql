{#- Grain: experiment_id, market_id (one row per market in a geo test).
    Vendor market and channel names mapped to ids; 'group' becomes assignment. -#}
with source as (
    select * from {{ raw_feed('raw_experiments__geo_test_design') }}
),

market_map as (
    select * from {{ ref('ref_market_id_map') }}
    where feed_source = 'experiments'
),

channel_map as (
    select * from {{ ref('ref_channel_id_map') }}
    where feed_source = 'cleanroom'
),

final as (
    select
        source.experiment_id,
        market_map.market_id,
        channel_map.channel_id,
        lower(source.{{ adapter.quote('group') }}) as assignment,
        {{ media_impact.try_cast('source.pre_period_start', 'date') }} as pre_start_date,
        {{ media_impact.try_cast('source.pre_period_end', 'date') }} as pre_end_date,
        {{ media_impact.try_cast('source.test_period_start', 'date') }} as test_start_date,
        {{ media_impact.try_cast('source.test_period_end', 'date') }} as test_end_date,
        {{ media_impact.try_cast('source.planned_spend_change', media_impact.type_double()) }} as spend_change_usd
    from source
    left join market_map
        on source.market = market_map.source_market_code
    left join channel_map
        on source.channel = channel_map.source_channel_code
)

select * from final
