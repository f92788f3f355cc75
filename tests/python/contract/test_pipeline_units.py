"""Unit tests of the pipeline helpers: corruption recipes, contract merge, bench timing."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from media_impact.pipeline import badinput, bench, raw_contract
from media_impact.pipeline.build import ContractFailure


def _frame() -> pd.DataFrame:
    days = [f"2024-01-{d:02d}" for d in range(1, 8)]
    return pd.DataFrame(
        {
            "day": days,
            "market": ["a", "b", "a", "b", "a", "b", "a"],
            "spend": ["1.50", "2.00", "0", "3.25", "4.00", "5.00", "6.00"],
            "impressions": ["1000", "2000", "0", "3000", "4000", "5000", "6000"],
            "code": ["x", "y", "x", "y", "x", "y", "x"],
        }
    )


def _contract() -> badinput.FeedContract:
    return badinput.FeedContract(
        feed="raw_test",
        key_columns=["day", "market"],
        not_null_columns=["day", "market"],
        number_columns=["spend", "impressions"],
        non_negative_columns=["spend"],
        code_columns=["code"],
        gap_date=("day", None, "day"),
        future_date=("day", None),
        unit_columns=["spend"],
    )


def test_every_kind_changes_exactly_what_it_names():
    frame, contract = _frame(), _contract()
    assert contract.applicable_kinds() == list(badinput.KINDS)
    for kind in badinput.KINDS:
        bad, column = badinput.corrupt(frame, contract, kind)
        if kind == "negative_spend":
            assert (bad[column].str.startswith("-")).sum() == 1
        elif kind == "duplicate_key":
            assert len(bad) == len(frame) + 1 and bad.duplicated(["day", "market"]).sum() == 1
        elif kind == "missing_day":
            assert len(bad) == len(frame) - 1 and set(frame.day) - set(bad.day) == {"2024-01-04"}
        elif kind == "null_key":
            assert (bad["day"] == "").sum() == 1 and column == "day"
        elif kind == "unparseable_number":
            assert (bad[column] == badinput.UNPARSEABLE).sum() == 1
        elif kind == "unknown_code":
            assert (bad[column] == badinput.UNKNOWN_CODE).sum() == 1
        elif kind == "future_date":
            assert (bad[column] == "2027-06-15").sum() == 1
        elif kind == "wrong_unit":
            assert bad[column].astype(float).tolist() == [v * 1000 for v in frame[column].astype(float)]
        # single-value kinds change one cell and nothing else
        if kind not in ("duplicate_key", "missing_day", "wrong_unit"):
            assert (bad != frame).sum().sum() == 1, kind
    assert frame.equals(_frame()), "corrupt() must not modify its input"


def test_dates_keep_the_feed_format():
    frame = _frame().assign(day=[f"01/{d:02d}/2024" for d in range(1, 8)])
    contract = _contract()
    contract.gap_date = ("day", "%m/%d/%Y", "day")
    contract.future_date = ("day", "%m/%d/%Y")
    bad, _ = badinput.corrupt(frame, contract, "future_date")
    assert "06/15/2027" in set(bad.day)
    bad, _ = badinput.corrupt(frame, contract, "missing_day")
    assert "01/04/2024" not in set(bad.day)


def test_contract_is_read_from_declared_tests(tmp_path):
    (tmp_path / "_feeds.yml").write_text(
        """
version: 2
seeds:
  - name: raw_x
    data_tests:
      - unique_combination_of_columns:
          arguments: {combination_of_columns: ['"Week"', campaign]}
      - ratio_in_range:
          arguments: {column_name: '"Cost (USD)"', denominator: impressions, min_value: 0.1, max_value: 300}
    columns:
      - name: Week
        quote: true
        data_tests:
          - not_null
          - no_date_gaps: {arguments: {datepart: week, parse_as: date, date_format: '%m/%d/%Y'}}
          - not_in_future: {arguments: {parse_as: date, date_format: '%m/%d/%Y'}}
      - name: campaign
        data_tests:
          - known_code: {arguments: {to: ref('ref_markets'), field: market_id}}
          - known_code: {arguments: {to: ref('ref_channel_id_map'), field: source_channel_code}}
      - name: Cost (USD)
        data_tests:
          - parseable_as: {arguments: {data_type: number}}
          - not_negative: {arguments: {parse_as: number}}
"""
    )
    contract = badinput.feed_contracts([tmp_path])["raw_x"]
    assert contract.key_columns == ["Week", "campaign"]
    assert contract.gap_date == ("Week", "%m/%d/%Y", "week")
    assert contract.unit_columns == ["Cost (USD)"]
    assert contract.code_columns == ["campaign", "campaign"]
    assert contract.null_key_column() == "Week"
    assert contract.applicable_kinds() == list(badinput.KINDS)


def test_merge_adds_contract_tests_once_and_refuses_unknown_columns():
    entries = [{"name": "raw_x", "columns": [{"name": "a", "data_tests": ["not_null"]}, {"name": "b"}]}]
    contract = {"raw_x": {"data_tests": [{"unique": {"arguments": {"column_name": "a"}}}],
                          "columns": {"a": ["not_null", "not_in_future"], "b": ["parseable_as"]}}}
    once = raw_contract.merge_raw_tests(entries, contract)
    twice = raw_contract.merge_raw_tests(once, contract)
    assert once == twice
    assert once[0]["columns"][0]["data_tests"] == ["not_null", "not_in_future"]
    assert once[0]["columns"][1]["data_tests"] == ["parseable_as"]
    assert entries[0]["columns"][1].get("data_tests") is None, "input must not be modified"
    with pytest.raises(KeyError, match="nope"):
        raw_contract.merge_raw_tests(entries, {"raw_x": {"columns": {"nope": ["not_null"]}}})


def test_committed_seed_properties_hold_the_whole_contract():
    """The generated _raw__seeds.yml is in sync with raw_feed_tests.yml."""
    import yaml

    doc = yaml.safe_load(raw_contract.SEEDS_YAML_PATH.read_text())
    assert raw_contract.merge_raw_tests(doc["seeds"]) == doc["seeds"]


def test_committed_sources_mirror_every_seed_test_for_source_mode():
    """models/staging/_sources.yml carries each raw seed's tests, enabled in source mode only."""
    import yaml

    seeds = yaml.safe_load(raw_contract.SEEDS_YAML_PATH.read_text())["seeds"]
    sources = yaml.safe_load(raw_contract.SOURCES_YAML_PATH.read_text())
    assert raw_contract.mirror_to_sources(seeds, sources) == sources
    tables = {t["name"]: t for t in sources["sources"][0]["tables"]}
    n_seed = sum(len(e.get("data_tests") or []) + sum(len(c.get("data_tests") or []) for c in e.get("columns") or [])
                 for e in seeds)
    n_source = sum(len(t.get("data_tests") or []) + sum(len(c.get("data_tests") or []) for c in t.get("columns") or [])
                   for t in tables.values())
    assert n_seed == n_source > 200
    ctv = {c["name"]: c for c in tables["raw_ctv_dsp__delivery"]["columns"]}
    assert ctv["Advertiser Cost (USD)"]["quote"] is True
    test = ctv["Week"]["data_tests"][0]
    assert test == {"not_null": {"config": {"enabled": raw_contract.SOURCE_MODE_ONLY}}}


def test_mirrored_tests_keep_their_arguments_and_config():
    entries = [{"name": "raw_x", "data_tests": [{"unique_combination_of_columns": {"arguments": {"combination_of_columns": ["a"]}}}],
                "columns": [{"name": "a", "data_tests": ["not_null", {"accepted_values": {"arguments": {"values": ["x"]},
                                                                                       "config": {"severity": "warn"}}}]}]}]
    doc = {"sources": [{"name": "raw", "tables": [{"name": "raw_x", "description": "d"}, {"name": "raw_y"}]}]}
    out = raw_contract.mirror_to_sources(entries, doc)
    x, y = out["sources"][0]["tables"]
    assert x["description"] == "d" and y == {"name": "raw_y"}
    assert x["data_tests"] == [{"unique_combination_of_columns": {
        "arguments": {"combination_of_columns": ["a"]}, "config": {"enabled": raw_contract.SOURCE_MODE_ONLY}}}]
    assert x["columns"][0]["data_tests"][1] == {"accepted_values": {
        "arguments": {"values": ["x"]}, "config": {"severity": "warn", "enabled": raw_contract.SOURCE_MODE_ONLY}}}
    assert doc["sources"][0]["tables"][0].get("data_tests") is None, "input must not be modified"


def test_failure_line_names_feed_column_check_and_rows():
    failure = ContractFailure(
        test_name="t", feed="raw_x", model="raw_x", column="spend", check="not_negative",
        n_rows=2, status="fail", examples=[{"day": "2024-01-01", "spend": "-1"}],
    )
    assert failure.describe() == (
        "feed raw_x, column spend, check not_negative (negative value): 2 rows, e.g. {spend='-1', day='2024-01-01'}"
    )


def test_stage_spans_do_not_double_count_parallel_nodes(tmp_path):
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def result(uid, start, end):
        span = {"started_at": (t0 + timedelta(seconds=start)).isoformat(),
                "completed_at": (t0 + timedelta(seconds=end)).isoformat()}
        return {"unique_id": uid, "status": "success", "timing": [span]}

    results = [
        result("seed.p.raw_a", 0, 2), result("seed.p.raw_b", 1, 3),  # overlap: 3 s of wall time
        result("model.p.stg_a", 3, 4), result("model.p.fct_a", 4, 6), result("model.p.fit", 6, 10),
        result("test.p.t1", 4, 5), result("test.p.t2", 7, 8),
    ]
    nodes = {
        "model.p.stg_a": {"original_file_path": "models/staging/a/stg_a.sql", "language": "sql"},
        "model.p.fct_a": {"original_file_path": "models/marts/channel/fct_a.sql", "language": "sql"},
        "model.p.fit": {"original_file_path": "python_models/mmm/fit.py", "language": "python"},
    }
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    stages, statuses, n = bench.stage_times(tmp_path)
    assert n == 7 and statuses == {"success": 7}
    assert stages == {"load": 0.0, "seed": 3.0, "staging": 1.0, "marts": 2.0, "python": 4.0, "tests": 2.0}


def test_not_null_columns_failure_names_the_failing_columns_from_its_rows():
    failure = ContractFailure(
        test_name="t", feed=None, model="fct_x", column="a+spend+c", check="not_null_columns",
        n_rows=2, status="fail", examples=[{"failing_column": "spend", "day": "2024-01-01", "spend": None}],
    )
    assert failure.describe() == (
        "model fct_x, column spend, check not_null_columns (null value): 2 rows, "
        "e.g. {failing_column='spend', spend=None, day='2024-01-01'}"
    )
