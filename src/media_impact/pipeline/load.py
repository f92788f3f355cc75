"""Load raw feed CSVs into the warehouse schema `raw` as all-text tables.

This is the `raw_mode: source` path: production data (or a large generated world)
is loaded by the warehouse's own bulk reader instead of `dbt seed`, and staging
reads it through `source('raw', ...)`. Every column is loaded as text, exactly as
the seeds are, so the same contract tests and `try_cast` parsing apply.

    python -m media_impact.pipeline.load --src data/scale10/raw --db /tmp/scale10.duckdb
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def load_raw_csvs(src_dir: Path, db_path: Path, schema: str = "raw") -> dict[str, int]:
    """Create or replace `<schema>.<file stem>` for every CSV in src_dir; return row counts."""
    import duckdb

    files = sorted(Path(src_dir).glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no CSV files in {src_dir}")
    counts: dict[str, int] = {}
    con = duckdb.connect(str(db_path))
    try:
        con.execute(f"create schema if not exists {schema}")
        for path in files:
            table = path.stem
            # all_varchar: raw feeds are text; staging parses them (see macros/try_cast.sql)
            con.execute(
                f"create or replace table {schema}.{table} as "
                "select * from read_csv(?, header = true, all_varchar = true)",
                [str(path)],
            )
            counts[table] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
    finally:
        con.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, required=True, help="folder of raw feed CSVs")
    parser.add_argument("--db", type=Path, required=True, help="DuckDB file to load into")
    parser.add_argument("--schema", default="raw")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = load_raw_csvs(args.src, args.db, args.schema)
    elapsed = time.perf_counter() - started
    print(f"loaded {len(counts)} tables, {sum(counts.values()):,} rows in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
