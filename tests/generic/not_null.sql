{#- Overrides dbt's built-in not_null so that a failure returns the whole
    offending rows (the wrapper prints them as examples), not just the null column. -#}
{% test not_null(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is null
{% endtest %}
