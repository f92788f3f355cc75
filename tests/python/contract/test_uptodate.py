"""A build with unchanged inputs does nothing (pipeline/uptodate.py): the fingerprint
sees every input file, and the record holds only for the very file it was written for."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from media_impact.pipeline import build, uptodate

REPO_ROOT = Path(__file__).resolve().parents[3]


def _project(tmp_path: Path) -> Path:
    """A small stand-in project: one file in each kind of input folder."""
    root = tmp_path / "project"
    for rel, text in {"dbt_project.yml": "name: x\n", "seeds/raw/raw_a.csv": "a,b\n1,2\n",
                      "models/m.sql": "select 1\n", "macros/k.sql": "{% macro k() %}{% endmacro %}\n",
                      "tests/generic/t.sql": "select 1\n", "tests/python/test_x.py": "x = 1\n",
                      "python_models/p.py": "def model(dbt, s): pass\n", "config/c.yml": "a: 1\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_fingerprint_sees_every_input_and_ignores_pytest_files(tmp_path):
    root = _project(tmp_path)
    base = uptodate.inputs_fingerprint(root, [])
    assert uptodate.inputs_fingerprint(root, []) == base                      # deterministic
    assert uptodate.inputs_fingerprint(root, ["--vars", "{a: 1}"]) != base     # other arguments
    (root / "tests/python/test_x.py").write_text("x = 2\n")
    assert uptodate.inputs_fingerprint(root, []) == base                      # pytest files are no input
    for rel in ("seeds/raw/raw_a.csv", "models/m.sql", "macros/k.sql", "tests/generic/t.sql",
                "python_models/p.py", "config/c.yml", "dbt_project.yml"):
        path = root / rel
        before = path.read_text()
        path.write_text(before + "-- one more line\n")
        assert uptodate.inputs_fingerprint(root, []) != base, rel
        path.write_text(before)
    (root / "seeds/raw/raw_b.csv").write_text("a\n1\n")                       # a new feed file
    assert uptodate.inputs_fingerprint(root, []) != base


def test_record_holds_only_for_the_file_it_was_written_for(tmp_path):
    db = tmp_path / "media_impact.duckdb"
    db.write_bytes(b"built")
    assert uptodate.unchanged_since(db, "abc") is None                          # no record yet
    uptodate.record(db, "abc")
    assert uptodate.unchanged_since(db, "abc") is not None
    assert uptodate.unchanged_since(db, "abd") is None                          # other inputs
    os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 1_000_000))
    assert uptodate.unchanged_since(db, "abc") is None                          # touched after the build
    uptodate.record(db, "abc")
    db.write_bytes(b"another build")
    assert uptodate.unchanged_since(db, "abc") is None                          # replaced
    uptodate.forget(db)
    assert not uptodate.record_path(db).exists()


def test_build_command_skips_an_unchanged_build_and_force_does_not(tmp_path, monkeypatch, capsys):
    """``pipeline build`` on an up-to-date file returns at once without calling dbt;
    ``--force`` goes on to build (here: dbt is replaced by a stub that records the call)."""
    db = tmp_path / "media_impact.duckdb"
    db.write_bytes(b"built")
    monkeypatch.setenv("MEDIA_IMPACT_DB", str(db))
    monkeypatch.delenv("MEDIA_IMPACT_TARGET", raising=False)
    uptodate.record(db, uptodate.inputs_fingerprint(REPO_ROOT, []))
    calls = []
    monkeypatch.setattr(build, "run_build", lambda args: calls.append(args) or build.BuildOutcome(
        False, [], ["stub: no build here"], [], 0.0))
    assert build.main(["build"]) == 0
    assert "up to date" in capsys.readouterr().out and calls == []
    assert build.main(["build", "--force"]) == 1          # the stub's failed build: nothing published
    assert calls == [[]] and db.read_bytes() == b"built"
    shutil.rmtree(tmp_path / ".media_impact_building", ignore_errors=True)
