"""The Python stage's pieces that need no warehouse: DAG order, the dbt stand-in's
config and ref resolution, and a failing model reported in one line (no traceback).
The stage end to end, on a real server, is in test_postgres.py."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from media_impact.pipeline import python_stage
from media_impact.pipeline.python_stage import DbtStandIn, ModelFailed, python_models_in_order, run_python_stage


class _Config(dict):
    materialized = "table"


def _node(name: str, parents: list[str], language: str = "python", path: str = "", **config):
    return SimpleNamespace(unique_id=f"model.p.{name}", name=name, alias=None, schema="s", package_name="p",
                           resource_type="model", language=language, original_file_path=path,
                           depends_on=SimpleNamespace(nodes=[f"model.p.{p}" for p in parents]),
                           config=_Config(config), config_call_dict={})


def _manifest(*nodes):
    return SimpleNamespace(nodes={n.unique_id: n for n in nodes}, sources={})


def test_python_models_run_parents_first_and_only_selected():
    m = _manifest(_node("c", ["b", "mart"]), _node("a", ["mart"]), _node("b", ["a"]),
                  _node("mart", [], language="sql"))
    assert [n.name for n in python_models_in_order(m)] == ["a", "b", "c"]
    assert [n.name for n in python_models_in_order(m, {"model.p.b", "model.p.c"})] == ["b", "c"]


def test_config_get_reads_the_manifest_and_ref_only_parents():
    node = _node("a", ["mart"], markov_order="2")
    stand_in = DbtStandIn(node, _manifest(node, _node("mart", [], language="sql")), con=None)
    assert stand_in.config.get("markov_order") == "2"
    assert stand_in.config.get("missing", 7) == 7
    assert stand_in.config(materialized="table") == ""
    with pytest.raises(ModelFailed, match="not among its parents"):
        stand_in.ref("elsewhere")


class _Con:
    def rollback(self):
        self.rolled_back = True


def test_a_failing_model_is_one_line_naming_it(tmp_path: Path, monkeypatch):
    (tmp_path / "broken.py").write_text("def model(dbt, session):\n    raise ValueError('no weeks in the panel')\n")
    writes = []
    monkeypatch.setattr(python_stage.wt, "write_table", lambda *a: writes.append(a) or 0)
    outcome = run_python_stage(_manifest(_node("broken", [], path="broken.py")), tmp_path, con=_Con())
    assert not outcome.success and not writes
    assert outcome.error == "Python model broken failed: ValueError: no weeks in the panel"


def test_a_model_table_is_written_under_its_schema_and_name(tmp_path: Path, monkeypatch):
    (tmp_path / "ok.py").write_text("import pandas as pd\ndef model(dbt, session):\n"
                                    "    return pd.DataFrame({'k': [1, 2], 'v': [0.5, 1.5]})\n")
    writes = {}
    monkeypatch.setattr(python_stage.wt, "write_table",
                        lambda con, schema, name, frame: writes.setdefault(f"{schema}.{name}", frame) is not None
                        and len(frame))
    outcome = run_python_stage(_manifest(_node("ok", [], path="ok.py")), tmp_path, con=_Con())
    assert outcome.success and outcome.written == {"s.ok": 2}
    pd.testing.assert_frame_equal(writes["s.ok"], pd.DataFrame({"k": [1, 2], "v": [0.5, 1.5]}))


def test_an_unreachable_warehouse_is_a_message_not_a_traceback(monkeypatch, capsys):
    from media_impact.pipeline.build import main

    monkeypatch.setenv("MEDIA_IMPACT_TARGET", "postgres")
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", "1")            # nothing listens there
    monkeypatch.setattr("media_impact.pipeline.raw_files.check_raw_files", lambda project_dir: [])
    assert main(["build"]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the postgres warehouse" in err and "Traceback" not in err


def test_column_types_follow_duckdb_and_redshift_text_is_wide(monkeypatch):
    import datetime as dt

    from media_impact.pipeline.warehouse_tables import sql_type

    frame = pd.DataFrame({"i": pd.Series([1], dtype="int32"), "b": [10**12], "f": [0.5], "ok": [True],
                          "d": [dt.date(2024, 1, 1)], "t": pd.to_datetime(["2024-01-01"]), "s": ["x"],
                          "n": pd.Series([1], dtype="Int64")})
    monkeypatch.setenv("MEDIA_IMPACT_TARGET", "postgres")
    assert [sql_type(frame[c]) for c in frame] == ["integer", "bigint", "double precision", "boolean", "date",
                                                  "timestamp", "text", "bigint"]
    monkeypatch.setenv("MEDIA_IMPACT_TARGET", "redshift")
    assert sql_type(frame["s"]) == "varchar(65535)"


def test_only_selection_flags_reach_dbt_ls():
    from media_impact.pipeline.warehouse_build import _selection_args

    args = ["--full-refresh", "--select", "+mmm_fit", "stg_meta__ads_insights", "--threads", "4",
            "--exclude=forecast_runs", "-s", "channel_lenses", "--indirect-selection", "cautious", "--fail-fast"]
    assert _selection_args(args) == ["--select", "+mmm_fit", "stg_meta__ads_insights", "--exclude=forecast_runs",
                                     "-s", "channel_lenses", "--indirect-selection", "cautious"]


def test_a_cautious_selection_stays_cautious_after_the_python_stage():
    from media_impact.pipeline.warehouse_build import _indirect_selection

    assert _indirect_selection(["--select", "+mmm_fit"]) == []
    assert _indirect_selection(["--indirect-selection", "cautious"]) == ["--indirect-selection", "buildable"]
    assert _indirect_selection(["--indirect-selection=empty"]) == ["--indirect-selection", "empty"]
