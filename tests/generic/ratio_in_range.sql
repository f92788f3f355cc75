{#- Unit sanity: numerator / denominator lies in [min_value, max_value] on rows
    whose denominator is at least min_denominator. Catches a feed switching units,
    e.g. cost in micros instead of dollars (CPM x 1e6) or revenue in cents. -#}
{% test ratio_in_range(model, column_name, denominator, min_value, max_value, multiplier=1, min_denominator=1, parse_as=none) %}
with parsed as (
    select
        *,
        {{ media_impact.parsed_value(column_name, parse_as) }} as numerator_value,
        {{ media_impact.parsed_value(denominator, parse_as) }} as denominator_value
    from {{ model }}
),

ratios as (
    select
        *,
        {{ multiplier }} * numerator_value / denominator_value as checked_ratio
    from parsed
    where denominator_value >= {{ min_denominator }}
      and numerator_value is not null
)

select *
from ratios
where checked_ratio < {{ min_value }}
   or checked_ratio > {{ max_value }}
{% endtest %}
