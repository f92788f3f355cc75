{#- Money, counts and volumes are never below zero (e.g. a refund keyed as spend). -#}
{% test not_negative(model, column_name, parse_as=none) %}
{{ media_impact.test_accepted_range(model, column_name, min_value=0, parse_as=parse_as) }}
{% endtest %}
