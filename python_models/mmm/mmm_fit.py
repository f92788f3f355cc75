"""mmm.mmm_fit: the one MMM fit of a build, persisted (see _mmm__models.yml, docs/mmm.md).

Thin: read the MMM marts, fit with the tested package, return every output table as
rows (table_name, row_number, row_json). The eight mmm_* tables read it via ref().
A build whose inputs, config and code are unchanged reuses the last fit (fit_status).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    design = dbt.ref("mmm_design_weekly").df()
    media = dbt.ref("mmm_media_weekly").df()
    retailer_sales = dbt.ref("mmm_retailer_sales_weekly").df()
    # experiment lifts (TBR) the fit is calibrated against; see docs/mmm.md
    calibration = dbt.ref("experiment_calibration").df()
    geo_design = dbt.ref("stg_experiments__geo_test_design").df()
    from media_impact.mmm.dbt_entry import fit_bundle, previous_rows

    # the last build's rows: reused as they are when the input fingerprint is unchanged
    previous = previous_rows(session, str(dbt.this))
    return fit_bundle(design, media, calibration, dbt.config.get("mmm_config"),
                      dbt.config.get("reallocation_usd"), geo_design, retailer_sales, previous)
