"""experiments.experiment_results: each geo test estimated by TBR and by synthetic control.

Thin: read the experiment panel (SQL), call media_impact.geo.experiments.experiment_results.
See docs/attribution.md for formulas and sign conventions.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.geo.experiments import experiment_results

    panel = dbt.ref("fct_geo_experiment_panel").df()
    return experiment_results(panel, level=float(dbt.config.get("interval_level")))
