{#- Are we overspending on retargeting?
    Per country and channel, from the preferred MMM fit: share of spend against
    share of incremental revenue, ROI and the marginal ROI of the next dollar
    against the country's spend-weighted marginal ROI. A channel is
    overspent when its next dollar returns less than the portfolio's and its
    share of spend exceeds its share of incremental revenue. Retargeting rows
    come first; last-touch credit is shown beside them, because that is what
    made retargeting look good. The first six columns are the answer (narrow
    enough for `dbt show`); the rest back it up. -#}

with

roi as (
    select * from {{ ref('mmm_channel_roi') }}
    where is_preferred
),

channels as (
    select * from {{ ref('ref_channels') }}
),

lenses as (
    select * from {{ ref('channel_lenses') }}
),

shares as (
    select
        roi.country_id,
        roi.channel_id,
        channels.is_retargeting,
        roi.spend_usd,
        roi.incremental_revenue_usd,
        roi.roi,
        roi.roi_lower_90,
        roi.roi_upper_90,
        roi.marginal_roi,
        roi.spend_usd / sum(roi.spend_usd) over (partition by roi.country_id) as spend_share,
        roi.incremental_revenue_usd
        / sum(roi.incremental_revenue_usd) over (partition by roi.country_id) as incremental_revenue_share,
        sum(roi.marginal_roi * roi.spend_usd) over (partition by roi.country_id)
        / sum(roi.spend_usd) over (partition by roi.country_id) as portfolio_marginal_roi
    from roi
    inner join channels on roi.channel_id = channels.channel_id
),

final as (
    select
        shares.channel_id,
        shares.country_id,
        case
            when shares.marginal_roi < shares.portfolio_marginal_roi
                and shares.spend_share > shares.incremental_revenue_share then 'overspent'
            when shares.marginal_roi > shares.portfolio_marginal_roi
                and shares.spend_share < shares.incremental_revenue_share then 'underspent'
            else 'about right'
        end as verdict,
        {{ media_impact.round_to('shares.spend_share', 3) }} as spend_share,
        {{ media_impact.round_to('shares.incremental_revenue_share', 3) }} as incremental_share,
        {{ media_impact.round_to('shares.marginal_roi', 2) }} as marginal_roi,
        {{ media_impact.round_to('shares.portfolio_marginal_roi', 2) }} as portfolio_marginal_roi,
        shares.is_retargeting,
        shares.spend_usd,
        shares.incremental_revenue_share,
        lenses.last_touch_credit_share,
        shares.roi,
        shares.roi_lower_90,
        shares.roi_upper_90
    from shares
    left join lenses on shares.channel_id = lenses.channel_id
)

select * from final
order by is_retargeting desc, country_id desc, marginal_roi asc
