{#- Plausibility: a series' weekly total (e.g. POS revenue of one market x retailer)
    more than `max_ratio` times, or less than 1/`max_ratio` of, the series' own
    median week is implausible (a row keyed in thousands, a duplicated file, a
    currency slip). Weeks with a zero total are the completeness test's business.
    Returns the offending weeks with the series median and the ratio. -#}
{% test plausible_vs_series_median(model, column_name, series=[], week_column='week_start', max_ratio=10) %}
{%- set keys = series | join(', ') %}
with weekly as (
    select {{ keys }}, {{ week_column }} as week_start, sum({{ column_name }}) as weekly_total
    from {{ model }}
    group by {{ keys }}, {{ week_column }}
),

medians as (
    select {{ keys }}, {{ media_impact.median('weekly_total') }} as series_median
    from weekly
    group by {{ keys }}
),

final as (
    select
        weekly.*,
        medians.series_median,
        weekly.weekly_total / medians.series_median as ratio_to_median
    from weekly
    inner join medians
        on {% for k in series %}weekly.{{ k }} = medians.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    where medians.series_median > 0 and weekly.weekly_total > 0
)

select * from final
where ratio_to_median > {{ max_ratio }} or ratio_to_median < 1.0 / {{ max_ratio }}
{% endtest %}
