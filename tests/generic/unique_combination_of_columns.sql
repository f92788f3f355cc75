{#- Grain test: no two rows share the same values of the listed columns.
    Returns one row per duplicated key with how many times it occurs. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set cols = combination_of_columns | join(', ') %}
select
    {{ cols }},
    count(*) as n_rows
from {{ model }}
group by {{ cols }}
having count(*) > 1
{% endtest %}
