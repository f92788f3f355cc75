-- KKT at the optimum: channels strictly inside their bounds share one marginal ROI
-- (within 1%); channels at a lower bound are no better, at an upper bound no worse;
-- the optimal spend adds up to the budget.
with alloc as (
    select * from {{ ref('mmm_budget_allocation') }}
),

interior as (
    select
        run_id,
        min(optimal_marginal_roi) as min_mroi,
        max(optimal_marginal_roi) as max_mroi,
        avg(optimal_marginal_roi) as lambda_mroi
    from alloc
    where not is_at_lower_bound and not is_at_upper_bound
    group by run_id
),

totals as (
    select
        run_id,
        sum(optimal_spend_usd) as spend_usd,
        max(total_budget_usd) as budget_usd
    from alloc
    group by run_id
)

select
    i.run_id,
    'interior marginal ROI differ' as problem
from interior as i
where i.max_mroi - i.min_mroi > 0.01 * i.max_mroi
union all
select
    a.run_id,
    'lower-bound channel beats lambda' as problem
from alloc as a
inner join interior as i on a.run_id = i.run_id
where a.is_at_lower_bound and a.optimal_marginal_roi > 1.01 * i.lambda_mroi
union all
select
    a.run_id,
    'upper-bound channel below lambda' as problem
from alloc as a
inner join interior as i on a.run_id = i.run_id
where a.is_at_upper_bound and a.optimal_marginal_roi < 0.99 * i.lambda_mroi
union all
select
    t.run_id,
    'budget not spent exactly' as problem
from totals as t
where abs(t.spend_usd - t.budget_usd) > 1e-6 * t.budget_usd
