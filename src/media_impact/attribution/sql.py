"""Render the project's attribution macros to plain SQL, for tests and the benchmark.

The dbt models are thin wrappers around the macros in ``macros/attribution/``;
rendering a macro call here gives exactly the SQL the model runs, so tests and
the benchmark execute the real thing on a table of their own. Rendering happens
in a scratch dbt project that links the project's ``macros/`` folder, so it
works even while another part of the project does not parse.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]


_SPLIT = "-- @@ next macro @@"


def render_macro_sql(call: str, project_root: Path = PROJECT_ROOT, target: str = "duckdb") -> str:
    """Compile ``{{ call }}`` (e.g. ``attribution_paths('touches')``) for ``target`` and return the SQL."""
    return render_macros_sql([call], project_root, target)[0]


def render_macros_sql(calls: list[str], project_root: Path = PROJECT_ROOT, target: str = "duckdb") -> list[str]:
    """Compile several macro calls in one dbt invocation (dbt's start-up dominates the time)."""
    macros = project_root / "macros"
    if not macros.is_dir():
        raise FileNotFoundError(f"no macros folder at {macros}")
    with tempfile.TemporaryDirectory(prefix="attr_render_") as tmp:
        root = Path(tmp)
        (root / "macros").symlink_to(macros, target_is_directory=True)
        (root / "dbt_project.yml").write_text(
            "name: media_impact\nversion: '0.1.0'\nconfig-version: 2\nprofile: render\n"
            "macro-paths: ['macros']\nmodel-paths: ['models']\n"
        )
        (root / "models").mkdir()
        profiles = (
            "render:\n  target: duckdb\n  outputs:\n"
            f"    duckdb:\n      type: duckdb\n      path: '{root / 'render.duckdb'}'\n"
            "    postgres:\n      type: postgres\n      host: localhost\n      port: 5432\n"
            "      user: postgres\n      password: ''\n      dbname: render\n      schema: public\n"
        )
        (root / "profiles.yml").write_text(profiles)
        env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false")
        env.pop("DBT_TARGET_PATH", None)
        result = subprocess.run(
            [
                sys.executable, "-m", "dbt.cli.main", "compile", "--quiet",
                "--project-dir", str(root), "--profiles-dir", str(root), "--target", target,
                "--target-path", str(root / "target"), "--log-path", str(root / "logs"),
                "--inline", f"\n{_SPLIT}\n".join("{{ " + call + " }}" for call in calls),
            ],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dbt compile failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
        parts = [part.strip() for part in result.stdout.split(_SPLIT)]
        if len(parts) != len(calls):
            raise RuntimeError(f"expected {len(calls)} rendered macros, got {len(parts)}")
        return parts
