{#- Rows of `model` in which a listed column breaks `rule` (SQL with {column} standing for
    the column, e.g. "{column} is null"), each led by failing_column, the first listed
    column that breaks it: the body of the model-level *_columns tests, one scan for
    every column. -#}
{% macro first_failing_column(model, column_names, rule) %}
with checked as (
    select
        case
            {%- for column in column_names %}
            when {{ rule | replace('{column}', column) }} then '{{ column }}'
            {%- endfor %}
        end as failing_column,
        *
    from {{ model }}
)

select *
from checked
where failing_column is not null
{% endmacro %}
