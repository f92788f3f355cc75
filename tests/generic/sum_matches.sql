{#- Consistency between two tables: the column totals agree (within a relative
    tolerance), optionally per group, e.g. weekly spend adds up to daily spend. -#}
{% test sum_matches(model, column_name, compare_model, compare_column=none, group_by_columns=[], tolerance=0.000001) %}
{%- set other_column = compare_column if compare_column is not none else column_name %}
{%- set groups = group_by_columns | join(', ') %}
with this_side as (
    select
        {% for g in group_by_columns %}{{ g }}, {% endfor %}
        sum({{ column_name }}) as this_total
    from {{ model }}
    {% if group_by_columns %}group by {{ groups }}{% endif %}
),

other_side as (
    select
        {% for g in group_by_columns %}{{ g }}, {% endfor %}
        sum({{ other_column }}) as other_total
    from {{ compare_model }}
    {% if group_by_columns %}group by {{ groups }}{% endif %}
),

compared as (
    select
        {% for g in group_by_columns %}coalesce(this_side.{{ g }}, other_side.{{ g }}) as {{ g }}, {% endfor %}
        coalesce(this_side.this_total, 0) as this_total,
        coalesce(other_side.other_total, 0) as other_total
    from this_side
    full outer join other_side
        on {% for g in group_by_columns %}{% if not loop.first %}and {% endif %}this_side.{{ g }} = other_side.{{ g }}
        {% endfor %}{% if not group_by_columns %}1 = 1{% endif %}
)

select *
from compared
where abs(this_total - other_total) > {{ tolerance }} * (1 + abs(other_total))
{% endtest %}
