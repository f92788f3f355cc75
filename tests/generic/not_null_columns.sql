{#- Every listed column is filled: one test and one scan per model instead of one node per
    column (dbt's per-test cost, not the query, was the build's time). A failing row comes
    back whole, led by failing_column, the first listed column that is null in it, so the
    build's report names the column and shows the row. -#}
{% test not_null_columns(model, column_names) %}
{{ media_impact.first_failing_column(model, column_names, '{column} is null') }}
{% endtest %}
