{#- A rolling mean equals the average of the source column over the `window`
    periods ending `offset` periods before the row (offset 0 = the window ends at
    the row itself, offset 1 = it ends one period earlier). The mean is defined
    when at least `min_periods` of those periods have a non-null value (default:
    all of them); otherwise the column must be null. Recomputed with a self-join
    on dates, not a window function, so it checks the model's window frame
    independently of row order. -#}
{% test rolling_mean_integrity(model, column_name, source_column, window, date_column, partition_by=[], offset=0, min_periods=none, datepart='week', tolerance=0.000001) %}
{%- set needed = min_periods if min_periods is not none else window %}
with base as (
    select * from {{ model }}
),

recomputed as (
    select
        {% for p in partition_by %}cur.{{ p }}, {% endfor %}
        cur.{{ date_column }},
        avg(hist.{{ source_column }}) as expected_mean,
        count(hist.{{ source_column }}) as n_values
    from base as cur
    left join base as hist
        on hist.{{ date_column }} <= {{ dbt.cast(dbt.dateadd(datepart, -1 * offset, 'cur.' ~ date_column), 'date') }}
        and hist.{{ date_column }} >= {{ dbt.cast(dbt.dateadd(datepart, -1 * (offset + window - 1), 'cur.' ~ date_column), 'date') }}
        {% for p in partition_by %}and hist.{{ p }} = cur.{{ p }}
        {% endfor %}
    group by {% for p in partition_by %}cur.{{ p }}, {% endfor %}cur.{{ date_column }}
),

compared as (
    select
        recomputed.*,
        base.{{ column_name }} as model_mean
    from recomputed
    inner join base
        on base.{{ date_column }} = recomputed.{{ date_column }}
        {% for p in partition_by %}and base.{{ p }} = recomputed.{{ p }}
        {% endfor %}
)

select *
from compared
where (n_values >= {{ needed }} and model_mean is null)
   or (n_values < {{ needed }} and model_mean is not null)
   or (n_values >= {{ needed }} and abs(model_mean - expected_mean) > {{ tolerance }} * (1 + abs(expected_mean)))
{% endtest %}
