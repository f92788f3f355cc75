"""experiments.experiment_calibration: experiment lift per channel and window with its
standard error, the rows the MMM calibrates against (TBR estimates).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.geo.experiments import experiment_calibration

    return experiment_calibration(dbt.ref("experiment_results").df())
