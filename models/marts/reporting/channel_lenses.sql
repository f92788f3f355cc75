{#- Grain: channel_id. The one view per channel: what each lens says it drives.
    Spend; clean-room credit (last touch, Markov, Shapley); MMM incremental revenue
    and ROI; geo-experiment iROAS where the channel was tested; ROAS as the
    platforms would report it next to incremental ROAS; and whether last touch
    over- or under-credits the channel. Reads Python outputs through ref(): on
    PostgreSQL and Redshift the build's Python stage has written them first. -#}

with

channels as (
    select * from {{ ref('ref_channels') }}
),

channel_spend as (
    select * from {{ ref('fct_channel_spend_weekly') }}
),

pos_sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

heuristic_credit as (
    select * from {{ ref('fct_attribution_heuristic_credit') }}
    where attribution_model = 'last_touch'
),

markov_credit as (
    select * from {{ ref('attribution_markov_credit') }}
),

shapley_credit as (
    select * from {{ ref('attribution_shapley_credit') }}
),

journey_touches as (
    select * from {{ ref('fct_attribution_journey_touches') }}
    where is_converting = 1
),

mmm_roi as (
    select * from {{ ref('mmm_channel_roi') }}
    where is_preferred
),

experiments as (
    select * from {{ ref('experiment_results') }}
    where method = 'tbr'
),

spend as (
    select
        channel_id,
        sum(spend_usd) as spend_usd
    from channel_spend
    group by channel_id
),

revenue as (
    select sum(revenue_usd) as revenue_usd
    from pos_sales
),

-- platforms each claim every converting journey their channel touched (any touch,
-- counted once per journey and channel, not de-duplicated across platforms)
claimed_journeys as (
    select distinct
        user_id,
        prior_conversions,
        channel_id,
        conversion_value_usd
    from journey_touches
),

claimed as (
    select
        channel_id,
        sum(conversion_value_usd) as claimed_value_usd
    from claimed_journeys
    group by channel_id
),

journey_value as (
    select sum(credited_value_usd) as conversion_value_usd
    from heuristic_credit
),

mmm as (
    select
        channel_id,
        sum(incremental_revenue_usd) as mmm_incremental_revenue_usd,
        sum(spend_usd) as mmm_spend_usd
    from mmm_roi
    group by channel_id
),

mmm_total as (
    select sum(case when mmm_incremental_revenue_usd > 0 then mmm_incremental_revenue_usd else 0 end) as total_usd
    from mmm
),

latest_experiment as (
    select
        channel_id,
        experiment_id,
        iroas,
        iroas_lower,
        iroas_upper,
        row_number() over (partition by channel_id order by test_end_date desc, experiment_id asc) as recency
    from experiments
),

joined as (
    select
        channels.channel_id,
        channels.channel_name,
        channels.channel_group,
        coalesce(spend.spend_usd, 0) as spend_usd,
        coalesce(heuristic_credit.credited_conversions, 0) as last_touch_conversions,
        coalesce(heuristic_credit.credit_share, 0) as last_touch_credit_share,
        coalesce(markov_credit.credited_conversions, 0) as markov_conversions,
        coalesce(markov_credit.credit_share, 0) as markov_credit_share,
        coalesce(shapley_credit.credit_share, 0) as shapley_credit_share,
        mmm.mmm_incremental_revenue_usd,
        mmm.mmm_incremental_revenue_usd / nullif(mmm.mmm_spend_usd, 0) as mmm_roi,
        case
            when mmm.mmm_incremental_revenue_usd is not null
                then greatest(mmm.mmm_incremental_revenue_usd, 0) / nullif(mmm_total.total_usd, 0)
        end as mmm_incremental_revenue_share,
        latest_experiment.experiment_id,
        latest_experiment.iroas as experiment_iroas,
        latest_experiment.iroas_lower as experiment_iroas_lower_90,
        latest_experiment.iroas_upper as experiment_iroas_upper_90,
        coalesce(claimed.claimed_value_usd, 0) / nullif(journey_value.conversion_value_usd, 0)
        * revenue.revenue_usd as platform_reported_revenue_usd
    from channels
    left join spend
        on channels.channel_id = spend.channel_id
    left join heuristic_credit
        on channels.channel_id = heuristic_credit.channel_id
    left join markov_credit
        on channels.channel_id = markov_credit.channel_id
    left join shapley_credit
        on channels.channel_id = shapley_credit.channel_id
    left join claimed
        on channels.channel_id = claimed.channel_id
    left join mmm
        on channels.channel_id = mmm.channel_id
    left join latest_experiment
        on channels.channel_id = latest_experiment.channel_id
        and latest_experiment.recency = 1
    cross join mmm_total
    cross join revenue
    cross join journey_value
),

final as (
    select
        *,
        platform_reported_revenue_usd / nullif(spend_usd, 0) as platform_reported_roas,
        coalesce(mmm_roi, experiment_iroas) as incremental_roas,
        -- the incremental lens: the MMM's share of incremental revenue, else Markov's share
        coalesce(mmm_incremental_revenue_share, markov_credit_share) as incremental_credit_share,
        case
            when coalesce(mmm_incremental_revenue_share, markov_credit_share) is null then 'unknown'
            when last_touch_credit_share
                > (1 + {{ var('credit_flag_tolerance', 0.25) }})
                * coalesce(mmm_incremental_revenue_share, markov_credit_share)
                then 'over_credited'
            when last_touch_credit_share * (1 + {{ var('credit_flag_tolerance', 0.25) }})
                < coalesce(mmm_incremental_revenue_share, markov_credit_share)
                then 'under_credited'
            else 'in_line'
        end as last_touch_credit_flag
    from joined
)

select * from final
