{#- Grain: path (distinct ordered channel sequence, "a > b > c", repeats kept).
    Journeys, conversions, conversion value and non-converting journeys (null_count)
    per path: the compact table the Markov and Shapley models read. -#}
with

journey_touches as (
    select * from {{ ref('fct_attribution_journey_touches') }}
),

final as (
    {{ attribution_paths('journey_touches') }}
)

select * from final
