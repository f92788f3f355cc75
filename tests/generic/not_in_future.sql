{#- No event after "today" (var as_of_date): a future date is a typo or a unit mix-up. -#}
{% test not_in_future(model, column_name, parse_as='date', date_format=none, as_of_date=none) %}
{%- set as_of = as_of_date if as_of_date is not none else var('as_of_date') %}
with parsed as (
    select
        *,
        {{ media_impact.parsed_value(column_name, parse_as, date_format) }} as checked_date
    from {{ model }}
)

select *
from parsed
where checked_date > {{ dbt.cast(dbt.string_literal(as_of), 'date') }}
{% endtest %}
