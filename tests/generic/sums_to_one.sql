{#- Shares within each group add up to 1 (within tolerance); no group_by_columns:
    over the whole table. Groups whose shares are all null (nothing to share, e.g.
    no sales that week) are skipped. -#}
{% test sums_to_one(model, column_name, group_by_columns=[], tolerance=0.000001) %}
{%- set groups = group_by_columns | join(', ') %}
select
    {% if groups %}{{ groups }},{% endif %}
    sum({{ column_name }}) as share_total
from {{ model }}
{% if groups %}group by {{ groups }}{% endif %}
having count({{ column_name }}) > 0
   and abs(sum({{ column_name }}) - 1) > {{ tolerance }}
{% endtest %}
