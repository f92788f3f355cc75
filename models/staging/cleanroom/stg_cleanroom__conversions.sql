{#- Grain: conversion_id (one retail purchase of a hashed user in the clean room). -#}
with source as (
    select * from {{ raw_feed('raw_cleanroom__conversions') }}
),

final as (
    select
        order_id as conversion_id,
        user_id_hash as user_id,
        {{ media_impact.try_cast('conversion_ts', dbt.type_timestamp()) }} as converted_at,
        {{ media_impact.try_cast('conversion_value', media_impact.type_double()) }} as conversion_value_usd
    from source
)

select * from final
