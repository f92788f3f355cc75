"""media_impact: statistics and the sample-world generator for the dbt project."""
