-- The backtest rows of the current input fingerprint (the fitting happens once per
-- fingerprint in forecast_prediction_cache; see _forecast__models.yml).
with cache as (
    select * from {{ ref('forecast_prediction_cache') }}
),

current_input as (
    select * from {{ ref('forecast_input_fingerprint') }}
),

final as (
    select
        cache.level,
        cache.series_id,
        cache.country_id,
        cache.market_id,
        cache.retailer_id,
        cache.origin_week,
        cache.week_start,
        cache.horizon,
        cache.model,
        cache.p10,
        cache.p50,
        cache.p90,
        cache.units,
        cache.mase_scale,
        cache.p10_uncalibrated,
        cache.p90_uncalibrated,
        cache.level_units,
        cache.input_fingerprint,
        cache.reuse_count
    from cache
    inner join current_input
        on cache.input_fingerprint = current_input.input_fingerprint
    where cache.prediction_kind = 'backtest'
)

select * from final
