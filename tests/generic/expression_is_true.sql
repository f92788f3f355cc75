{#- Row-level consistency rule, e.g. `clicks <= impressions`. Returns the rows
    where the expression is false (nulls count as passing). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
