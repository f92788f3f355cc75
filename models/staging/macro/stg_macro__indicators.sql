{#- Grain: country_id, period_start (one row per country and month).
    The long feed (one row per series) pivoted to one column per indicator;
    ISO3 country codes mapped to country_id. -#}
with source as (
    select * from {{ raw_feed('raw_macro__indicators') }}
),

countries as (
    select * from {{ ref('ref_countries') }}
),

parsed as (
    select
        country as country_iso3,
        series_id,
        {{ media_impact.try_parse_date(dbt.concat(['period', "'-01'"]), '%Y-%m-%d') }} as period_start,
        {{ media_impact.try_cast('value', media_impact.type_double()) }} as indicator_value,
        {{ media_impact.try_cast('released_at', 'date') }} as released_date
    from source
),

final as (
    select
        countries.country_id,
        parsed.period_start,
        max(case when parsed.series_id = 'ECON_ACTIVITY_IDX' then parsed.indicator_value end) as economic_index,
        max(case when parsed.series_id = 'CPI_YOY_PCT' then parsed.indicator_value end) as inflation_rate,
        max(case when parsed.series_id = 'UNEMP_RATE_PCT' then parsed.indicator_value end) as unemployment_rate,
        max(parsed.released_date) as released_date
    from parsed
    left join countries
        on parsed.country_iso3 = countries.country_iso3
    group by countries.country_id, parsed.period_start
)

select * from final
