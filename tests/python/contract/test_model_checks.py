"""Checks on models (not raw feeds) still name the model, the column and the rows: a
null or a negative amount in a mart column fails the model's one ``not_null_columns`` or
``not_negative_columns`` test, and the report names the column from the failing row."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from .conftest import DB_NAME

MART = "fct_ad_delivery_daily"


@pytest.mark.parametrize("column, value, check, kind", [
    ("impressions", "null", "not_null_columns", "null value"),
    ("spend_usd", "-1", "not_negative_columns", "negative value"),
])
def test_a_bad_mart_value_names_the_model_the_column_and_the_row(contract_workspace, tmp_path, column, value,
                                                                 check, kind):
    ws = contract_workspace
    db = tmp_path / DB_NAME
    shutil.copy(ws.good_db, db)
    con = duckdb.connect(str(db))
    con.execute(f"update marts.{MART} set {column} = {value} where rowid = (select min(rowid) from marts.{MART})")
    con.close()
    outcome = ws.build(db, ["--select", MART, "--resource-type", "test"])
    lines = [f.describe() for f in outcome.failures if f.check == check]   # a negative spend trips others too
    assert not outcome.success and len(lines) == 1, outcome.report()
    assert lines[0].startswith(f"model {MART}, column {column}, check {check} ({kind}): 1 row, "
                               f"e.g. {{failing_column='{column}', {column}="), lines[0]
