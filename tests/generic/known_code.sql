{#- Referential integrity for codes: every non-null value (optionally after a
    normalising SQL expression, e.g. lower(trim(...))) exists in the reference
    column. Returns the rows carrying an unknown code. -#}
{% test known_code(model, column_name, to, field, expression=none, where_reference=none) %}
{%- set value = expression if expression is not none else column_name %}
with candidates as (
    select
        *,
        {{ value }} as checked_code
    from {{ model }}
),

reference_codes as (
    select distinct {{ field }} as code
    from {{ to }}
    {% if where_reference %}where {{ where_reference }}{% endif %}
)

select candidates.*
from candidates
left join reference_codes
    on candidates.checked_code = reference_codes.code
where candidates.checked_code is not null
  and reference_codes.code is null
{% endtest %}
