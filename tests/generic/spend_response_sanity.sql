{#- Spend-response sanity (use at severity warn): within each group, the response
    should not move against spend; flags groups whose correlation between spend and
    response is below min_correlation. A warning prompts a look, not a stop:
    a real campaign can coincide with a seasonal dip. -#}
{% test spend_response_sanity(model, column_name, response_column, group_by_columns, min_correlation=0, min_periods=20) %}
{%- set groups = group_by_columns | join(', ') %}
with grouped as (
    select
        {{ groups }},
        count(*) as n_periods,
        corr({{ column_name }}, {{ response_column }}) as spend_response_correlation
    from {{ model }}
    where {{ column_name }} is not null
      and {{ response_column }} is not null
    group by {{ groups }}
)

select *
from grouped
where n_periods >= {{ min_periods }}
  and spend_response_correlation < {{ min_correlation }}
{% endtest %}
