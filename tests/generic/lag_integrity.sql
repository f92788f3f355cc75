{#- A lag column equals the source value `periods` periods earlier in the same
    series (same partition). Where the earlier period is absent from the table
    the lag must be null. Null-safe comparison with a relative tolerance. -#}
{% test lag_integrity(model, column_name, source_column, periods, date_column, partition_by=[], datepart='week', tolerance=0.000001) %}
with current_rows as (
    select * from {{ model }}
),

earlier_rows as (
    select * from {{ model }}
),

compared as (
    select
        {% for p in partition_by %}cur.{{ p }}, {% endfor %}
        cur.{{ date_column }},
        cur.{{ column_name }} as lag_value,
        earlier.{{ source_column }} as expected_value
    from current_rows as cur
    left join earlier_rows as earlier
        on earlier.{{ date_column }} = {{ dbt.cast(dbt.dateadd(datepart, -1 * periods, 'cur.' ~ date_column), 'date') }}
        {% for p in partition_by %}and earlier.{{ p }} = cur.{{ p }}
        {% endfor %}
)

select *
from compared
where (lag_value is null and expected_value is not null)
   or (lag_value is not null and expected_value is null)
   or abs(lag_value - expected_value) > {{ tolerance }} * (1 + abs(expected_value))
{% endtest %}
