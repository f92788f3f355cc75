{#- Which channels truly influence purchases?
    One row per channel, every lens side by side: last-touch credit (what the
    agency reports), Markov and Shapley credit from clean-room journeys, the
    MMM's share of incremental revenue and ROI, the geo experiment's iROAS where
    the channel was tested, and ROAS as the platforms would report it. The flag
    says where last touch over- or under-credits the channel. The first six
    columns are the answer (narrow enough for `dbt show`); the rest back it up. -#}

with

lenses as (
    select * from {{ ref('channel_lenses') }}
),

final as (
    select
        channel_id,
        last_touch_credit_flag as last_touch_flag,
        {{ media_impact.round_to('last_touch_credit_share', 3) }} as last_touch_share,
        {{ media_impact.round_to('incremental_credit_share', 3) }} as incremental_share,
        {{ media_impact.round_to('mmm_roi', 2) }} as mmm_roi,
        {{ media_impact.round_to('experiment_iroas', 2) }} as experiment_iroas,
        channel_name,
        channel_group,
        spend_usd,
        last_touch_credit_share,
        markov_credit_share,
        shapley_credit_share,
        mmm_incremental_revenue_share,
        experiment_iroas_lower_90,
        experiment_iroas_upper_90,
        platform_reported_roas,
        incremental_roas,
        incremental_credit_share,
        incremental_credit_share - last_touch_credit_share as credit_gap_vs_last_touch
    from lenses
)

select * from final
order by incremental_credit_share desc, channel_id asc
