{#- Text that is present must parse as the declared type ('number', 'integer', 'date',
    'timestamp'); date_format names a feed's own date layout (see macros/parse_date.sql).
    Returns the offending rows: value present, parse failed. -#}
{% test parseable_as(model, column_name, data_type='number', date_format=none) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and trim({{ dbt.cast(column_name, dbt.type_string()) }}) <> ''
  and {{ media_impact.parsed_value(column_name, data_type, date_format) }} is null
{% endtest %}
