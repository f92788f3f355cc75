-- base + controls + channels = fitted revenue, every run and week (to 1e-6 relative)
with parts as (
    select
        run_id,
        week_start,
        sum(contribution_usd) as sum_of_parts_usd,
        max(fitted_revenue_usd) as fitted_revenue_usd
    from {{ ref('mmm_decomposition_weekly') }}
    group by run_id, week_start
)

select *
from parts
where abs(sum_of_parts_usd - fitted_revenue_usd) > 1e-6 * greatest(abs(fitted_revenue_usd), 1)
