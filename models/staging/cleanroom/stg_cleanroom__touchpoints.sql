{#- Grain: touchpoint_id (one ad exposure of a hashed user in the clean room). -#}
with source as (
    select * from {{ raw_feed('raw_cleanroom__touchpoints') }}
),

channel_map as (
    select * from {{ ref('ref_channel_id_map') }}
    where feed_source = 'cleanroom'
),

final as (
    select
        source.event_id as touchpoint_id,
        source.user_id_hash as user_id,
        {{ media_impact.try_cast('source.event_ts', dbt.type_timestamp()) }} as touched_at,
        channel_map.channel_id
    from source
    left join channel_map
        on source.channel = channel_map.source_channel_code
)

select * from final
