{#- Grain: week_start, market_id, retailer_id. Observed weeks plus the next
    var('forecast_horizon_weeks') weeks, whose target (units) is null while the
    known inputs (calendar, holidays, planned spend, macro held at its last value)
    are filled.

    Features:
      units_lag_N        units N weeks earlier (N = 1, 2, 4, 52)
      units_roll_mean_N  mean of units over the N weeks ending with the row's own
                         week (t-N+1..t), over the weeks observed so far (partial
                         at the start of a series, pandas' min_periods=1)
    A row is a forecast origin: lags and rolling means are known at its week,
    the target of horizon h is units of the row h weeks later. Do not regress a
    row's units on its own rolling mean (it contains it).
    Window frames are `rows between` over the dense weekly spine, so row offsets
    are week offsets; ordering by week_start is unique within a series.
    planned_spend_usd is the market's total media spend: actual in observed weeks,
    and for future weeks the same week one year earlier (the plan repeats last
    year's flighting until a media-plan feed exists). -#}
{%- set series = 'partition by market_id, retailer_id order by week_start' %}
with sales as (
    select * from {{ ref('fct_pos_sales_weekly') }}
),

spend as (
    select * from {{ ref('fct_channel_spend_weekly') }}
),

channels as (
    select * from {{ ref('ref_channels') }}
),

weeks as (
    select * from {{ ref('int_weeks_spined') }}
),

retailer_markets as (
    select * from {{ ref('int_retailer_markets_paired') }}
),

holidays as (
    select * from {{ ref('int_holiday_weeks_flagged') }}
),

macro as (
    select * from {{ ref('int_macro_weeks_filled') }}
),

retailer_sales as (
    select
        week_start,
        market_id,
        retailer_id,
        sum(units) as units,
        sum(revenue_usd) as revenue_usd
    from sales
    group by week_start, market_id, retailer_id
),

market_spend as (
    select
        week_start,
        market_id,
        sum(spend_usd) as spend_usd
    from spend
    group by week_start, market_id
),

retail_media_spend as (
    select
        spend.week_start,
        spend.market_id,
        channels.retailer_id,
        sum(spend.spend_usd) as spend_usd
    from spend
    inner join channels
        on spend.channel_id = channels.channel_id
    where channels.retailer_id is not null
    group by spend.week_start, spend.market_id, channels.retailer_id
),

series as (
    select
        weeks.week_start,
        retailer_markets.market_id,
        retailer_markets.country_id,
        retailer_markets.retailer_id,
        weeks.is_future,
        weeks.week_of_year,
        weeks.calendar_month,
        case when not weeks.is_future then coalesce(retailer_sales.units, 0) end as units,
        case when not weeks.is_future then coalesce(retailer_sales.revenue_usd, 0) end as revenue_usd,
        case when not weeks.is_future then coalesce(market_spend.spend_usd, 0) end as actual_spend_usd,
        case when not weeks.is_future then coalesce(retail_media_spend.spend_usd, 0) end
            as actual_retail_media_spend_usd
    from weeks
    cross join retailer_markets
    left join retailer_sales
        on weeks.week_start = retailer_sales.week_start
        and retailer_markets.market_id = retailer_sales.market_id
        and retailer_markets.retailer_id = retailer_sales.retailer_id
    left join market_spend
        on weeks.week_start = market_spend.week_start
        and retailer_markets.market_id = market_spend.market_id
    left join retail_media_spend
        on weeks.week_start = retail_media_spend.week_start
        and retailer_markets.market_id = retail_media_spend.market_id
        and retailer_markets.retailer_id = retail_media_spend.retailer_id
),

windowed as (
    select
        *,
        lag(units, 1) over ({{ series }}) as units_lag_1,
        lag(units, 2) over ({{ series }}) as units_lag_2,
        lag(units, 4) over ({{ series }}) as units_lag_4,
        lag(units, 52) over ({{ series }}) as units_lag_52,
        {%- for n in [4, 13, 52] %}
        avg(units) over ({{ series }} rows between {{ n - 1 }} preceding and current row) as units_roll_mean_{{ n }},
        {%- endfor %}
        lag(actual_spend_usd, 52) over ({{ series }}) as spend_usd_52_weeks_earlier,
        lag(actual_retail_media_spend_usd, 52) over ({{ series }}) as retail_media_spend_usd_52_weeks_earlier
    from series
),

final as (
    select
        windowed.week_start,
        windowed.market_id,
        windowed.country_id,
        windowed.retailer_id,
        windowed.is_future,
        cast(windowed.units as {{ media_impact.type_double() }}) as units,
        cast(windowed.revenue_usd as {{ media_impact.type_double() }}) as revenue_usd,
        cast(windowed.units_lag_1 as {{ media_impact.type_double() }}) as units_lag_1,
        cast(windowed.units_lag_2 as {{ media_impact.type_double() }}) as units_lag_2,
        cast(windowed.units_lag_4 as {{ media_impact.type_double() }}) as units_lag_4,
        cast(windowed.units_lag_52 as {{ media_impact.type_double() }}) as units_lag_52,
        cast(windowed.units_roll_mean_4 as {{ media_impact.type_double() }}) as units_roll_mean_4,
        cast(windowed.units_roll_mean_13 as {{ media_impact.type_double() }}) as units_roll_mean_13,
        cast(windowed.units_roll_mean_52 as {{ media_impact.type_double() }}) as units_roll_mean_52,
        windowed.week_of_year,
        windowed.calendar_month,
        coalesce(holidays.is_holiday_week, false) as is_holiday_week,
        macro.economic_index,
        macro.inflation_rate,
        macro.unemployment_rate,
        cast(
            case when windowed.is_future then windowed.spend_usd_52_weeks_earlier else windowed.actual_spend_usd end
            as {{ media_impact.type_double() }}
        ) as planned_spend_usd,
        cast(
            case
                when windowed.is_future then windowed.retail_media_spend_usd_52_weeks_earlier
                else windowed.actual_retail_media_spend_usd
            end as {{ media_impact.type_double() }}
        ) as planned_retail_media_spend_usd
    from windowed
    left join holidays
        on windowed.week_start = holidays.week_start
        and windowed.country_id = holidays.country_id
    left join macro
        on windowed.week_start = macro.week_start
        and windowed.country_id = macro.country_id
)

select * from final
