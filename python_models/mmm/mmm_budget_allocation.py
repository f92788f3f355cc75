"""mmm.mmm_budget_allocation: see python_models/mmm/_mmm__models.yml and docs/mmm.md.

Thin: one table of the build's persisted fit (ref mmm_fit), typed.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    bundle = dbt.ref("mmm_fit").df()
    from media_impact.mmm.dbt_entry import output_table

    return output_table("budget_allocation", bundle)
