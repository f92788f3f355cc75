"""The raw feeds' data contract (seeds/raw/raw_feed_tests.yml) merged into the seeds' property file.

dbt accepts one property entry per seed, and the world generator writes that
entry (`seeds/raw/_raw__seeds.yml`, descriptions and column types). The contract
tests are owned separately, in `seeds/raw/raw_feed_tests.yml`, and merged in:
the generator calls `merge_raw_tests` on its entries, and

    python -m media_impact.pipeline.raw_contract

re-merges them into the committed `_raw__seeds.yml` after a contract edit,
without regenerating the world. Merging is idempotent: a test already present
(same name and arguments) is not added twice.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds-yaml", type=Path, default=SEEDS_YAML_PATH)
    parser.add_argument("--contract", type=Path, default=CONTRACT_PATH)
    args = parser.parse_args(argv)
    added = remerge_file(args.seeds_yaml, args.contract)
    print(f"merged {args.contract.name} into {args.seeds_yaml} ({added:+d} YAML lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
