-- ref_holidays runs to the end of the week spine (future weeks included), for every
-- country: a forecast week past the calendar would silently lose its holiday flag
with calendar_end as (
    select
        country_id,
        max(cast(holiday_date as date)) as last_holiday_date
    from {{ ref('ref_holidays') }}
    group by country_id
),

spine_end as (
    select max(week_end) as last_week_end
    from {{ ref('int_weeks_spined') }}
)

select
    countries.country_id,
    calendar_end.last_holiday_date,
    spine_end.last_week_end
from {{ ref('ref_countries') }} as countries
cross join spine_end
left join calendar_end
    on countries.country_id = calendar_end.country_id
where calendar_end.last_holiday_date is null
    or calendar_end.last_holiday_date < {{ dbt.dateadd('day', -31, 'spine_end.last_week_end') }}
