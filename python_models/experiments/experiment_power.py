"""experiments.experiment_power: pre-test minimum detectable effect for each designed
test's markets over candidate durations (weeks), from the weeks before the test.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.geo.experiments import experiment_power

    durations = [int(w) for w in str(dbt.config.get("durations_weeks")).split(",")]
    return experiment_power(dbt.ref("fct_geo_experiment_panel").df(), durations)
