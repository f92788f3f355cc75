"""The raw feeds' data contract (seeds/raw/raw_feed_tests.yml) merged into the seeds' property file.

dbt accepts one property entry per seed, and the world generator writes that
entry (`seeds/raw/_raw__seeds.yml`, descriptions and column types). The contract
tests are owned separately, in `seeds/raw/raw_feed_tests.yml`, and merged in:
the generator calls `merge_raw_tests` on its entries, and

    python -m media_impact.pipeline.raw_contract

re-merges them into the committed `_raw__seeds.yml` after a contract edit,
without regenerating the world, and mirrors every seed's tests onto the raw
sources (`models/staging/_sources.yml`), enabled only when `raw_mode: source`, so
the contract guards feeds already loaded in the warehouse too. Merging is
idempotent: a test already present (same name and arguments) is not added twice.
"""
from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import yaml

from media_impact.pipeline.build import REPO_ROOT

CONTRACT_PATH = REPO_ROOT / "seeds" / "raw" / "raw_feed_tests.yml"
SEEDS_YAML_PATH = REPO_ROOT / "seeds" / "raw" / "_raw__seeds.yml"


def load_contract(path: Path = CONTRACT_PATH) -> dict:
    doc = yaml.safe_load(Path(path).read_text()) or {}
    return doc.get("raw_feed_tests", {}) or {}


def _key(test) -> str:
    return json.dumps(test, sort_keys=True, default=str)


def _append_unique(tests: list, new: list) -> list:
    seen = {_key(t) for t in tests}
    out = list(tests)
    for test in new:
        if _key(test) not in seen:
            out.append(copy.deepcopy(test))
            seen.add(_key(test))
    return out


def merge_raw_tests(entries: list[dict], contract: dict | None = None) -> list[dict]:
    """Seed property entries with the contract's model- and column-level tests added.

    Raises if the contract names a column that the feed does not have, so the
    contract cannot silently drift from the generated feeds.
    """
    contract = load_contract() if contract is None else contract
    merged = []
    for entry in entries:
        entry = copy.deepcopy(entry)
        spec = contract.get(entry["name"])
        if spec:
            entry["data_tests"] = _append_unique(entry.get("data_tests", []) or [], spec.get("data_tests", []) or [])
            columns = {c["name"]: c for c in entry.get("columns", []) or []}
            for column, tests in (spec.get("columns", {}) or {}).items():
                if column not in columns:
                    raise KeyError(f"{entry['name']}: contract tests column {column!r}, feed has {sorted(columns)}")
                target = columns[column]
                target["data_tests"] = _append_unique(target.get("data_tests", []) or [], tests or [])
        merged.append(entry)
    return merged


def remerge_file(seeds_yaml: Path = SEEDS_YAML_PATH, contract_path: Path = CONTRACT_PATH) -> int:
    """Merge the contract into an existing generated property file in place; returns tests added."""
    text = Path(seeds_yaml).read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    doc = yaml.safe_load(text)
    before = yaml.safe_dump(doc)
    doc["seeds"] = merge_raw_tests(doc["seeds"], load_contract(contract_path))
    after = yaml.safe_dump(doc)
    Path(seeds_yaml).write_text(
        header + yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=True), encoding="utf-8"
    )
    return after.count("\n") - before.count("\n")


SOURCES_YAML_PATH = REPO_ROOT / "models" / "staging" / "_sources.yml"
# the mirrored tests run only where staging reads the sources (raw_mode: source); in
# seed mode the same tests run on the seeds, which are DAG parents of staging
SOURCE_MODE_ONLY = "{{ (var('raw_mode', 'seed') == 'source') | as_bool }}"


def _source_mode_only(test):
    """A test entry (``"not_null"`` or ``{name: {arguments, config}}``) enabled in source mode only."""
    if isinstance(test, str):
        return {test: {"config": {"enabled": SOURCE_MODE_ONLY}}}
    (name, body), = test.items()
    body = copy.deepcopy(body or {})
    body["config"] = {**(body.get("config") or {}), "enabled": SOURCE_MODE_ONLY}
    return {name: body}


def mirror_to_sources(seed_entries: list[dict], source_doc: dict) -> dict:
    """The raw sources' property document with every seed's tests mirrored onto the source
    table of the same name (model- and column-level, columns quoted as in the seed), so
    the contract also runs when staging reads feeds already in the warehouse."""
    doc = copy.deepcopy(source_doc)
    seeds = {e["name"]: e for e in seed_entries}
    for source in doc.get("sources", []):
        for table in source.get("tables", []):
            seed = seeds.get(table["name"])
            if seed is None:
                continue
            tests = [_source_mode_only(t) for t in seed.get("data_tests", []) or []]
            if tests:
                table["data_tests"] = tests
            else:
                table.pop("data_tests", None)
            columns = []
            for col in seed.get("columns", []) or []:
                out = {"name": col["name"]}
                if col.get("description"):
                    out["description"] = col["description"]
                if col.get("quote"):
                    out["quote"] = True
                col_tests = [_source_mode_only(t) for t in col.get("data_tests", []) or []]
                if col_tests:
                    out["data_tests"] = col_tests
                columns.append(out)
            table["columns"] = columns
    return doc


def mirror_file(seeds_yaml: Path = SEEDS_YAML_PATH, sources_yaml: Path = SOURCES_YAML_PATH) -> None:
    """Rewrite the raw sources' property file with the seeds' tests mirrored (idempotent)."""
    seeds = yaml.safe_load(Path(seeds_yaml).read_text())["seeds"]
    text = Path(sources_yaml).read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    doc = mirror_to_sources(seeds, yaml.safe_load(text))
    Path(sources_yaml).write_text(
        header + yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=True), encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds-yaml", type=Path, default=SEEDS_YAML_PATH)
    parser.add_argument("--contract", type=Path, default=CONTRACT_PATH)
    parser.add_argument("--sources-yaml", type=Path, default=SOURCES_YAML_PATH)
    args = parser.parse_args(argv)
    added = remerge_file(args.seeds_yaml, args.contract)
    print(f"merged {args.contract.name} into {args.seeds_yaml} ({added:+d} YAML lines)")
    mirror_file(args.seeds_yaml, args.sources_yaml)
    print(f"mirrored the seeds' tests onto {args.sources_yaml} (enabled when raw_mode is source)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
