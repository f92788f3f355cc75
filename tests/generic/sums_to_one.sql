{#- Shares within each group add up to 1 (within tolerance). Groups whose shares
    are all null (nothing to share, e.g. no sales that week) are skipped. -#}
{% test sums_to_one(model, column_name, group_by_columns, tolerance=0.000001) %}
{%- set groups = group_by_columns | join(', ') %}
select
    {{ groups }},
    sum({{ column_name }}) as share_total
from {{ model }}
group by {{ groups }}
having count({{ column_name }}) > 0
   and abs(sum({{ column_name }}) - 1) > {{ tolerance }}
{% endtest %}
