"""Checks on the raw feed files themselves, before dbt loads them.

`dbt seed` loads a CSV by position and keeps CSV debris as text, so three failures
real feeds have would pass every test on the loaded tables. They are checked here,
on the files, against the columns each feed declares (`seeds/raw/_raw__seeds.yml`,
`column_types` in order):

* the header matches the declared columns by name and order (a renamed, missing,
  extra or reordered column is shown as a diff);
* the feed has data rows (a header-only file is an empty feed, not "no sales");
* every row has the header's number of fields, and no cell keeps a quote character
  (a stray quote at the start of a field loads literally).

Each failure is one line naming the feed, the column and example rows.
"""
from __future__ import annotations

import csv
from pathlib import Path

import yaml

RAW_DIR = Path("seeds") / "raw"
SEEDS_YML = "_raw__seeds.yml"


def declared_columns(project_dir: Path) -> dict[str, list[str]]:
    spec = yaml.safe_load((Path(project_dir) / RAW_DIR / SEEDS_YML).read_text())
    return {s["name"]: list((s.get("config") or {}).get("column_types") or {}) for s in spec.get("seeds", [])}


def header_diff(feed: str, declared: list[str], header: list[str]) -> str | None:
    if header == declared:
        return None
    missing = [c for c in declared if c not in header]
    extra = [c for c in header if c not in declared]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("unexpected " + ", ".join(extra))
    if not missing and not extra:
        moved = [f"{c} at position {header.index(c) + 1} (declared {i + 1})" for i, c in enumerate(declared)
                 if header.index(c) != i]
        parts.append("reordered: " + ", ".join(moved))
    return (f"feed {feed}, header: {'; '.join(parts)}. Declared: {', '.join(declared)}; "
            f"file: {', '.join(header)}")


def check_feed(path: Path, declared: list[str], max_examples: int = 3) -> list[str]:
    feed = path.stem
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return [f"feed {feed}: the file is empty (no header, no rows)"]
        diff = header_diff(feed, declared, header)
        if diff:
            return [diff]
        n_rows, debris, ragged = 0, {}, []
        for line_no, row in enumerate(reader, start=2):
            n_rows += 1
            if len(row) != len(header):
                ragged.append((line_no, len(row)))
            for col, cell in zip(header, row):
                if '"' in cell:
                    debris.setdefault(col, []).append((line_no, cell))
    errors = []
    if n_rows == 0:
        errors.append(f"feed {feed}: no data rows (header only); an empty feed is not read as zero sales")
    if ragged:
        eg = "; ".join(f"line {n}: {k} fields" for n, k in ragged[:max_examples])
        errors.append(f"feed {feed}, check csv_fields (every row has the header's {len(header)} fields): "
                      f"{len(ragged)} row{'s' if len(ragged) != 1 else ''}, e.g. {eg}")
    for col, hits in debris.items():
        eg = "; ".join(f"line {n}: {col}={v!r}" for n, v in hits[:max_examples])
        errors.append(f"feed {feed}, column {col}, check csv_debris (a quote kept in a value): "
                      f"{len(hits)} row{'s' if len(hits) != 1 else ''}, e.g. {eg}")
    return errors


def check_raw_files(project_dir: Path) -> list[str]:
    """Every raw feed file against its declared columns; one message per failure."""
    declared = declared_columns(project_dir)
    errors = []
    for path in sorted((Path(project_dir) / RAW_DIR).glob("*.csv")):
        if path.stem in declared:
            errors += check_feed(path, declared[path.stem])
    return errors
