{#- Money, counts and volumes are never below zero, every listed column of a model in one
    test and one scan (as not_null_columns). A failing row comes back whole, led by
    failing_column, the first listed column below zero in it. Raw feeds keep one
    not_negative test per column (their text values are parsed first). -#}
{% test not_negative_columns(model, column_names) %}
{{ media_impact.first_failing_column(model, column_names, '{column} < 0') }}
{% endtest %}
