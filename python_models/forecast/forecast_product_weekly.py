"""forecast.forecast_product_weekly: see _forecast__models.yml and docs/forecast.md.

Thin: read the refs, call media_impact.forecast.dbt_entry, return the table.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from media_impact.forecast import dbt_entry

    forecast = dbt.ref("forecast_weekly").df()
    sales = dbt.ref("fct_pos_sales_weekly").df()
    products = dbt.ref("ref_products").df()
    return dbt_entry.product_weekly(forecast, sales, products)
