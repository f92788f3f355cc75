"""Benchmark: path building and heuristic credit in DuckDB on generated touchpoints.

    python -m media_impact.attribution.bench --touchpoints 10000000 --repeats 3

Generates a clean-room-shaped world in a DuckDB file (seeded, deterministic),
renders the project's attribution macros to the exact SQL the dbt models run,
and times journey building, distinct-path aggregation and the five heuristic
models, each run materialising its tables. Prints every run and the medians:
wall-clock seconds, and the process's CPU seconds (DuckDB's threads run inside
it) with the machine's load average, since a shared 2-core machine slows wall
time without changing the work done.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from media_impact.attribution.sql import render_macros_sql

CHANNELS = ["search", "social", "video", "ctv", "display", "retail_media", "email", "affiliate", "audio", "ooh"]


def generate_world(con: duckdb.DuckDBPyConnection, n_touchpoints: int, seed: int = 7) -> None:
    """About 10 touches per user over 120 days; about 30% of users convert once or twice."""
    n_users = max(1, n_touchpoints // 10)
    channel_list = ", ".join(f"'{c}'" for c in CHANNELS)
    con.execute(
        f"""
        create or replace table touchpoints as
        select
            i as touchpoint_id,
            hash(i, {seed}) % {n_users} as user_id,
            timestamp '2026-01-01' + to_seconds(cast(hash(i, {seed} + 1) % (120 * 86400) as bigint)) as touched_at,
            ([{channel_list}])[cast(1 + hash(i, {seed} + 2) % {len(CHANNELS)} as integer)] as channel_id
        from range({n_touchpoints}) as t(i)
        """
    )
    con.execute(
        f"""
        create or replace table conversions as
        select
            i as conversion_id,
            hash(i, {seed} + 3) % {n_users} as user_id,
            timestamp '2026-01-01' + to_seconds(cast(hash(i, {seed} + 4) % (120 * 86400) as bigint)) as converted_at,
            round(20 + (hash(i, {seed} + 5) % 10000) / 100.0, 2) as conversion_value_usd
        from range({int(n_users * 0.4)}) as t(i)
        """
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(n_touchpoints: int, repeats: int, threads: int, lookback_days: int, half_life_days: float) -> dict:
    journeys_sql, paths_sql, credit_sql = render_macros_sql(
        [
            f"attribution_journey_touches('touchpoints', 'conversions', {lookback_days})",
            "attribution_paths('journey_touches')",
            f"attribution_heuristic_credit('journey_touches', {half_life_days})",
        ]
    )
    with tempfile.TemporaryDirectory(prefix="attr_bench_") as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        con.execute(f"set threads = {threads}")
        t0 = time.perf_counter()
        generate_world(con, n_touchpoints)
        print(f"generated {n_touchpoints:,} touchpoints in {time.perf_counter() - t0:.1f} s", flush=True)
        runs = []
        for r in range(repeats):
            timings = {}
            t_start = time.perf_counter()
            cpu_start = _cpu_seconds()
            for name, sql in (("journey_touches", journeys_sql), ("paths", paths_sql), ("heuristic_credit", credit_sql)):
                t = time.perf_counter()
                con.execute(f"create or replace table {name} as {sql}")
                timings[name] = time.perf_counter() - t
            timings["total"] = time.perf_counter() - t_start
            timings["total_cpu"] = _cpu_seconds() - cpu_start
            runs.append(timings)
            print(
                f"run {r + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
                + f" (load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        n_paths = con.execute("select count(*) from paths").fetchone()[0]
        n_journeys = con.execute("select sum(journeys) from paths").fetchone()[0]
        con.close()
    medians = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
    print(
        f"median of {repeats} runs on {n_touchpoints:,} touchpoints ({threads} threads): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items())
        + f"; {n_journeys:,} journeys, {n_paths:,} distinct paths"
    )
    return medians


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--touchpoints", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lookback-days", type=int, default=30)
    parser.add_argument("--half-life-days", type=float, default=7)
    args = parser.parse_args(argv)
    run(args.touchpoints, args.repeats, args.threads, args.lookback_days, args.half_life_days)


if __name__ == "__main__":
    main()
