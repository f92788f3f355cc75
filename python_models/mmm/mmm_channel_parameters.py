"""mmm.mmm_channel_parameters: see python_models/mmm/_mmm__models.yml and docs/mmm.md.

Thin: read the MMM marts, call the tested package (one cached fit per dbt run),
return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    design = dbt.ref("mmm_design_weekly").df()
    media = dbt.ref("mmm_media_weekly").df()
    retailer_sales = dbt.ref("mmm_retailer_sales_weekly").df()
    # experiment lifts (TBR) the fit is calibrated against; see docs/mmm.md
    calibration = dbt.ref("experiment_calibration").df()
    geo_design = dbt.ref("stg_experiments__geo_test_design").df()
    from media_impact.mmm.dbt_entry import output_table

    return output_table("channel_parameters", design, media, calibration, dbt.config.get("mmm_config"),
                        dbt.config.get("reallocation_usd"), geo_design, retailer_sales)
