-- Scenario arithmetic: optimal >= current revenue at the same budget; +20% >= optimal
-- >= -20%; the reallocation moves exactly mmm_reallocation_usd (or the whole source
-- budget if smaller) and keeps the total; always-on and pulsed flights spend the same.
with totals as (
    select
        run_id,
        scenario_id,
        sum(spend_usd) as spend_usd,
        sum(incremental_revenue_usd) as revenue_usd,
        sum(current_spend_usd) as current_spend_usd
    from {{ ref('mmm_scenarios') }}
    group by run_id, scenario_id
),

wide as (
    select
        run_id,
        max(case when scenario_id = 'current' then revenue_usd end) as current_rev,
        max(case when scenario_id = 'optimal' then revenue_usd end) as optimal_rev,
        max(case when scenario_id = 'budget_minus_20pct' then revenue_usd end) as minus_rev,
        max(case when scenario_id = 'budget_plus_20pct' then revenue_usd end) as plus_rev,
        max(case when scenario_id = 'current' then spend_usd end) as current_spend,
        max(case when scenario_id = 'optimal' then spend_usd end) as optimal_spend,
        max(case when scenario_id = 'reallocate' then spend_usd end) as realloc_spend,
        max(case when scenario_id = 'flight_always_on' then spend_usd end) as always_on_spend,
        max(case when scenario_id = 'flight_pulsed' then spend_usd end) as pulsed_spend
    from totals
    group by run_id
),

moved as (
    select
        run_id,
        sum(abs(spend_usd - current_spend_usd)) / 2 as moved_usd,
        max(current_spend_usd) as biggest_channel_usd
    from {{ ref('mmm_scenarios') }}
    where scenario_id = 'reallocate'
    group by run_id
)

select
    w.run_id,
    'revenue order' as problem
from wide as w
where w.optimal_rev < w.current_rev * (1 - 1e-9)
    or w.plus_rev < w.optimal_rev * (1 - 1e-9)
    or w.optimal_rev < w.minus_rev * (1 - 1e-9)
union all
select
    w.run_id,
    'budget not kept' as problem
from wide as w
where abs(w.optimal_spend - w.current_spend) > 1e-6 * w.current_spend
    or abs(w.realloc_spend - w.current_spend) > 1e-6 * w.current_spend
    or abs(w.always_on_spend - w.pulsed_spend) > 1e-6 * w.always_on_spend
union all
select
    m.run_id,
    'reallocated amount' as problem
from moved as m
where m.moved_usd > {{ var('mmm_reallocation_usd') }} * (1 + 1e-9)
    or m.moved_usd <= 0
