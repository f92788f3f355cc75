"""A build whose inputs did not change since the last published build does nothing.

Everything a DuckDB build reads is a file: the raw and reference seeds, the SQL and
Python models, macros, generic and singular tests, the model configs, the package
code the Python models call, ``dbt_project.yml`` and the profile. Their SHA-256
(:func:`inputs_fingerprint`, with the dbt arguments, the target and the package
versions) is written next to the published file after every successful publish
(``<db>.inputs.json``, with the file's size and modification time). The next
``python -m media_impact.pipeline build`` compares: the same fingerprint and the same
published file means the same build would write the same tables (two builds of the
same inputs are bit-identical, ``test_determinism``), so it says so and stops in about
a second. Anything else (a changed file, other arguments, a published file replaced
or touched by hand, no record) builds as always, and ``--force`` always builds.

Raw feeds read from warehouse tables (``raw_mode: source``) and the other warehouses
have no files to fingerprint: they always build.
"""
from __future__ import annotations

import hashlib
import json
import time
from importlib import metadata
from pathlib import Path

# what a build reads, relative to the project folder (folders are walked)
INPUTS = ("dbt_project.yml", "profiles", "models", "macros", "seeds", "tests", "python_models", "config",
          "analyses")
_NOT_INPUTS = ("tests/python",)       # pytest's own files: no build reads them
PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb", "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "emcee")
_SKIP_PARTS = {"__pycache__", ".pytest_cache"}


def _files(root: Path, rel: str) -> list[Path]:
    path = root / rel
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(p for p in path.rglob("*") if p.is_file() and not (_SKIP_PARTS & set(p.parts))
                  and not p.name.endswith((".pyc", ".duckdb", ".wal"))
                  and not str(p.relative_to(root)).startswith(_NOT_INPUTS))


def inputs_fingerprint(project_dir: Path, dbt_args: list[str]) -> str:
    """SHA-256 of the project's input files (path and bytes), this package's source, the
    dbt arguments and the installed versions of the packages a build runs on."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for base, rels in ((project_dir, INPUTS), (package, (".",))):
        for rel in rels:
            for f in _files(base, rel):
                h.update(str(f.relative_to(base)).encode() + b"\0")
                h.update(f.read_bytes())
                h.update(b"\0")
    h.update(json.dumps(list(dbt_args)).encode())
    for name in PACKAGES:
        try:
            h.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}: none".encode())
    return h.hexdigest()


def record_path(published: Path) -> Path:
    return published.with_name(published.name + ".inputs.json")


def _stamp(published: Path) -> dict:
    st = published.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def record(published: Path, fingerprint: str) -> None:
    """Write the fingerprint of the build just published beside it."""
    record_path(published).write_text(json.dumps(
        {"fingerprint": fingerprint, "published_at": time.strftime("%Y-%m-%d %H:%M:%S"),
         **_stamp(published)}, indent=1) + "\n")


def unchanged_since(published: Path, fingerprint: str) -> str | None:
    """When the published file is the one the last build wrote and that build had these
    inputs: the time it was published; else ``None``."""
    path = record_path(published)
    if not published.exists() or not path.exists():
        return None
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if rec.get("fingerprint") != fingerprint or {k: rec.get(k) for k in ("size", "mtime_ns")} != _stamp(published):
        return None
    return str(rec.get("published_at", "?"))


def forget(published: Path) -> None:
    """Drop the record (before a build replaces the file, so a crash cannot leave a stale one)."""
    record_path(published).unlink(missing_ok=True)
