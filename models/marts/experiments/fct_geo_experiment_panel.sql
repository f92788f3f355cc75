{#- Grain: experiment_id, market_id, week_start. Weekly retail POS revenue and
    units of every market in a geo test (test and control), over its pre-period,
    its test period and var('geo_power_history_weeks', 52) weeks of history before
    (for power analysis), with the tested channel's spend: the panel the TBR,
    synthetic-control and power models read. -#}
with

design as (
    select * from {{ ref('stg_experiments__geo_test_design') }}
),

pos_sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

channel_spend as (
    select * from {{ ref('fct_channel_spend_weekly') }}
),

market_sales as (
    select
        week_start,
        market_id,
        country_id,
        sum(revenue_usd) as revenue_usd,
        sum(units) as units
    from pos_sales
    group by week_start, market_id, country_id
),

panel as (
    select
        design.experiment_id,
        design.market_id,
        market_sales.country_id,
        design.channel_id,
        design.assignment,
        market_sales.week_start,
        case
            when market_sales.week_start >= design.test_start_date then 'test'
            when market_sales.week_start >= design.pre_start_date then 'pre'
            else 'history'
        end as period,
        market_sales.revenue_usd,
        market_sales.units,
        design.spend_change_usd as market_spend_change_usd,
        design.pre_start_date,
        design.pre_end_date,
        design.test_start_date,
        design.test_end_date
    from design
    inner join market_sales
        on market_sales.market_id = design.market_id
        -- history: the weeks before the pre-period, for pre-test power analysis
        and market_sales.week_start between
        {{ dbt.dateadd('week', -var('geo_power_history_weeks', 52), 'design.pre_start_date') }}
        and design.test_end_date
        -- a week belongs to a period only when the whole week does
        and (
            {{ dbt.dateadd('day', 6, 'market_sales.week_start') }} <= design.pre_end_date
            or design.test_start_date <= market_sales.week_start
        )
),

final as (
    select
        panel.*,
        coalesce(channel_spend.spend_usd, 0) as channel_spend_usd
    from panel
    left join channel_spend
        on panel.week_start = channel_spend.week_start
        and panel.market_id = channel_spend.market_id
        and panel.channel_id = channel_spend.channel_id
)

select * from final
