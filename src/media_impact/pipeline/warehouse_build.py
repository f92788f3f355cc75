"""The whole DAG on a warehouse whose dbt adapter runs no Python models (PostgreSQL,
Redshift), as one build in three steps, all inside the build's staging schemas:

1. ``dbt build`` of everything except the Python models and what reads them (the
   SQL layer and its tests, in the warehouse);
2. the Python stage (``python_stage.run_python_stage``): each Python model file run
   in-process on the marts it refs, its table written back under its own schema and
   name;
3. ``dbt build`` of the Python models' tests (all of them, except those on the SQL
   models that read Python outputs), then of those SQL models (``channel_lenses``)
   with their tests.

The Python models stay enabled on every adapter: ``ref()``, lineage, docs and tests
work as on DuckDB; dbt never executes them here (they are excluded in step 1 and
only their tests are selected in step 3). A user's ``--select``/``--exclude`` picks
the nodes of all three steps. A failure at any step stops the build with the same
report as on DuckDB, and nothing is published.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterable

from .build import BuildOutcome, _parse_args_subset, _with_defaults, parse_manifest, run_build
from .python_stage import run_python_stage

_SELECTION_FLAGS = ("--select", "-s", "--models", "-m", "--exclude", "--selector")


def _has_selection(args: list[str]) -> bool:
    return any(a in _SELECTION_FLAGS or a.split("=", 1)[0] in _SELECTION_FLAGS for a in args)


def _selection_args(args: list[str]) -> list[str]:
    """The selection flags of a `dbt build` command line with their values (what `dbt ls`
    accepts; `--full-refresh`, `--threads` and the like are left out)."""
    keep: list[str] = []
    taking = False
    for a in args:
        if a.startswith("-"):
            flag = a.split("=", 1)[0]
            taking = flag in (*_SELECTION_FLAGS, "--indirect-selection", "--resource-type", "--resource-types")
            if taking:
                keep.append(a)
            taking = taking and "=" not in a
        elif taking:
            keep.append(a)
    return keep


def selected_ids(manifest, user_args: list[str], project_dir: Path) -> set[str] | None:
    """Unique ids the user's selection picks (``None``: no selection, everything)."""
    if not _has_selection(user_args):
        return None
    from dbt.cli.main import dbtRunner

    args = _with_defaults([*_selection_args(user_args), *_parse_args_subset(user_args)], project_dir)
    res = dbtRunner(manifest=manifest).invoke(
        ["ls", "--quiet", "--output", "json", "--output-keys", "unique_id", *args])
    if not res.success:
        raise RuntimeError(f"dbt ls of the selection failed: {res.exception}")
    return {json.loads(line)["unique_id"] for line in res.result or [] if line.startswith("{")}


def _python_models(manifest) -> list:
    return sorted((n for n in manifest.nodes.values() if n.resource_type == "model" and n.language == "python"),
                  key=lambda n: n.name)


def _sql_descendants(manifest, roots: set[str]) -> list[str]:
    """Names of the SQL models that read (directly or not) one of ``roots``."""
    children: dict[str, list[str]] = {}
    for uid, node in manifest.nodes.items():
        for parent in getattr(node.depends_on, "nodes", []):     # seeds depend on macros only
            children.setdefault(parent, []).append(uid)
    found: set[str] = set()
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return sorted(manifest.nodes[u].name for u in found
                  if manifest.nodes[u].resource_type == "model" and manifest.nodes[u].language == "sql")


def _merged(outcomes: list[BuildOutcome], started: float, errors: Iterable[str] = ()) -> BuildOutcome:
    errs = [e for o in outcomes for e in o.errors] + list(errors)
    failures = [f for o in outcomes for f in o.failures]
    ok = all(o.success for o in outcomes) and not errs
    return BuildOutcome(ok, failures, errs, [r for o in outcomes for r in o.node_results],
                        time.perf_counter() - started)


def _indirect_selection(args: list[str]) -> list[str]:
    """The user's ``--indirect-selection`` for the steps after the Python stage: a
    cautious selection keeps only the tests whose other parents were built (buildable,
    since those steps select the Python models alone)."""
    mode = None
    for i, a in enumerate(args):
        if a == "--indirect-selection" and i + 1 < len(args):
            mode = args[i + 1]
        elif a.startswith("--indirect-selection="):
            mode = a.split("=", 1)[1]
    if mode in ("cautious", "buildable"):
        return ["--indirect-selection", "buildable"]
    return ["--indirect-selection", mode] if mode else []


def run_warehouse_build(user_args: Iterable[str], project_dir: Path, quiet: bool = False) -> BuildOutcome:
    """SQL layer, Python stage, then the Python outputs' tests and readers (module docstring)."""
    started = time.perf_counter()
    user_args = list(user_args)
    try:
        manifest = parse_manifest(user_args, project_dir)
        selected = selected_ids(manifest, user_args, project_dir)
    except RuntimeError as exc:
        text = " | ".join(x.strip() for x in str(exc).splitlines() if x.strip())
        return BuildOutcome(False, [], [f"the project does not parse, nothing was built: {text}"], [],
                            time.perf_counter() - started)
    python = _python_models(manifest)
    chosen = [n for n in python if selected is None or n.unique_id in selected]
    sql_layer = run_build([*user_args, "--exclude", *[f"{n.name}+" for n in python]], project_dir, manifest,
                          quiet=quiet)
    if not sql_layer.success or not chosen:
        return _merged([sql_layer], started)

    project_args = [*_with_defaults(_parse_args_subset(user_args), project_dir), *_indirect_selection(user_args)]
    descendants = _sql_descendants(manifest, {n.unique_id for n in chosen})
    between = []

    def build_sql(names: list[str]) -> bool:
        """SQL models between Python models, built (not yet tested) when a Python model
        needs them; their tests run with the readers in the last step."""
        between.append(run_build(["--select", *names, "--exclude-resource-type", "test", *project_args],
                                 project_dir, manifest, quiet=quiet))
        return between[-1].success

    pending = {u for u, n in manifest.nodes.items() if n.resource_type == "model" and n.name in descendants}
    stage = run_python_stage(manifest, project_dir, {n.unique_id for n in chosen}, build_sql=build_sql,
                             pending=pending)
    if not quiet:
        print(f"python stage: {len(stage.written)} tables in {sum(stage.seconds.values()):.1f} s "
              f"({', '.join(stage.written)})")
    if not stage.success:
        return _merged([sql_layer, *between], started, [stage.error])

    selected_names = None if selected is None else {manifest.nodes[u].name for u in selected if u in manifest.nodes}
    readers = [name for name in descendants if selected_names is None or name in selected_names]
    # every test on a Python output (also those that read a truth seed), except the ones
    # that read an SQL model downstream: those run with it in the next step, or not at all
    tests = run_build(["--resource-type", "test", "--select", *[n.name for n in chosen],
                       *(["--exclude", *descendants] if descendants else []), *project_args],
                      project_dir, manifest, quiet=quiet)
    if not tests.success or not readers:
        return _merged([sql_layer, tests], started)
    downstream = run_build(["--select", *readers, *project_args], project_dir, manifest, quiet=quiet)
    return _merged([sql_layer, tests, downstream], started)
