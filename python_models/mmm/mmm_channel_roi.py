"""mmm.mmm_channel_roi: see python_models/mmm/_mmm__models.yml and docs/mmm.md.

Thin: read the MMM marts, call the tested package (one cached fit per dbt run),
return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    design = dbt.ref("mmm_design_weekly").df()
    media = dbt.ref("mmm_media_weekly").df()
    from media_impact.mmm.dbt_entry import output_table

    return output_table("channel_roi", design, media, None, dbt.config.get("mmm_config"),
                        dbt.config.get("reallocation_usd"))
