{#- Values lie in [min_value, max_value] (either bound optional).
    parse_as: 'number' casts text columns first (raw feeds are all text);
    unparseable text is left to the parseable_as test. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true, parse_as=none) %}
{%- set value = media_impact.parsed_value(column_name, parse_as) %}
with parsed as (
    select
        *,
        {{ value }} as checked_value
    from {{ model }}
)

select *
from parsed
where checked_value is not null
  and (
        1 = 0
        {%- if min_value is not none %}
        or checked_value {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or checked_value {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
  )
{% endtest %}
