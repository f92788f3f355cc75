"""Build benchmark: wall time per stage and peak memory of `dbt build` at several scales.

    python -m media_impact.pipeline.bench --scales 1 10 100 --repeats 3

Scale 1 is the committed sample world, built the way `make build` builds it
(`dbt seed` of the committed CSVs, then everything downstream). Larger scales are
generated with the world CLI (`python -m media_impact.world --scale N --out
data/scaleN`, cached), their raw CSVs are bulk-loaded into schema `raw` as text
by DuckDB's CSV reader (`media_impact.pipeline.load`), and dbt runs with
`--vars '{raw_mode: source}'`.

Each repeat starts from an empty database in a fresh process. Stage times are
wall-clock spans taken from `run_results.json` (the union of the intervals in
which at least one node of the stage was running, so two threads are not double
counted); memory is the peak resident set of the whole process tree (dbt and
DuckDB run in one process), sampled every 50 ms with psutil. Figures printed are
medians over the repeats. Nothing here is a pass/fail test.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from media_impact.pipeline.build import REPO_ROOT

STAGES = ("load", "seed", "staging", "marts", "python", "tests")


@dataclass
class RunFigures:
    scale: int
    stage_s: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    peak_rss_mb: float = 0.0
    n_nodes: int = 0
    status_counts: dict[str, int] = field(default_factory=dict)
    # scale 1, the README's build command again on the built file: unchanged inputs
    # (the wrapper's up-to-date check) and --force (dbt build again, fits reused)
    rebuild_s: dict[str, float] = field(default_factory=dict)


class PeakMemory:
    """Peak RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval_s: float = 0.05):
        import psutil

        self._psutil = psutil
        self.pid = pid
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        try:
            proc = self._psutil.Process(self.pid)
            procs = [proc, *proc.children(recursive=True)]
        except self._psutil.NoSuchProcess:
            return 0
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except self._psutil.NoSuchProcess:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self._sample())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(cmd: list[str], env: dict[str, str], log_path: Path) -> tuple[float, float, int]:
    """Run cmd; return (wall seconds, peak RSS MB of its process tree, return code)."""
    started = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        with PeakMemory(proc.pid) as mem:
            rc = proc.wait()
    return time.perf_counter() - started, mem.peak_bytes / 2**20, rc


def stage_of(result: dict, nodes: dict) -> str:
    uid = result["unique_id"]
    kind = uid.split(".")[0]
    if kind in ("test", "unit_test"):
        return "tests"
    if kind == "seed":
        return "seed"
    node = nodes.get(uid, {})
    path = node.get("original_file_path", "")
    if node.get("language") == "python" or path.startswith("python_models/"):
        return "python"
    if path.startswith("models/staging/"):
        return "staging"
    return "marts"


def _union_seconds(intervals: list[tuple[float, float]]) -> float:
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def stage_times(target_dir: Path) -> tuple[dict[str, float], dict[str, int], int]:
    """Wall seconds per stage from run_results.json (union of node run intervals)."""
    run_results = json.loads((target_dir / "run_results.json").read_text())
    manifest_path = target_dir / "manifest.json"
    nodes = json.loads(manifest_path.read_text())["nodes"] if manifest_path.exists() else {}
    intervals: dict[str, list[tuple[float, float]]] = {s: [] for s in STAGES}
    statuses: dict[str, int] = {}
    for result in run_results["results"]:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        spans = [(_ts(t["started_at"]), _ts(t["completed_at"])) for t in result.get("timing", []) if t.get("started_at")]
        if not spans:
            continue
        stage = stage_of(result, nodes)
        intervals[stage].append((min(s for s, _ in spans), max(e for _, e in spans)))
    return {s: _union_seconds(v) for s, v in intervals.items()}, statuses, len(run_results["results"])


def world_dir(scale: int, data_root: Path, regenerate: bool = False) -> Path:
    """Generated world folder for a scale, created with the world CLI when missing."""
    out = data_root / f"scale{scale}"
    if regenerate and out.exists():
        shutil.rmtree(out)
    if not out.exists():
        print(f"generating world at scale {scale} into {out} ...", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "media_impact.world", "--scale", str(scale), "--out", str(out)],
            cwd=REPO_ROOT,
            check=True,
        )
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return out


def raw_csv_dir(world: Path) -> Path:
    for candidate in (world / "raw", world / "seeds" / "raw", world):
        if any(candidate.glob("*.csv")):
            return candidate
    raise FileNotFoundError(f"no raw feed CSVs under {world}")


def data_size(csv_dir: Path) -> tuple[int, int]:
    """(bytes, data rows) of the raw CSVs in a folder."""
    n_bytes = n_rows = 0
    for path in csv_dir.glob("*.csv"):
        n_bytes += path.stat().st_size
        with open(path, "rb") as fh:
            n_rows += max(sum(1 for _ in fh) - 1, 0)
    return n_bytes, n_rows


_TOP_LEVEL_SKIP = {".venv", ".git", "target", "logs", "data", "bench_out", "screenshots", "node_modules", "dbt_packages"}


def prepare_project(world: Path, work: Path) -> Path:
    """A copy of the project whose reference and truth seeds are the generated world's
    (a scaled world has more markets, so its id maps and market list differ)."""
    def ignore(directory: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n.endswith((".duckdb", ".duckdb.wal")) or n in ("__pycache__", ".pytest_cache")}
        if Path(directory).resolve() == REPO_ROOT.resolve():
            skip |= _TOP_LEVEL_SKIP & set(names)
        return skip

    project = work / "project"
    if not project.exists():
        shutil.copytree(REPO_ROOT, project, ignore=ignore)
        for folder in ("reference", "truth"):
            generated = world / folder
            if generated.is_dir():
                target = project / "seeds" / folder
                shutil.rmtree(target)
                shutil.copytree(generated, target)
    return project


def bench_once(scale: int, work: Path, data_root: Path, sql_only: bool) -> RunFigures:
    db = work / "bench.duckdb"
    target = work / "target"
    for path in (db, Path(str(db) + ".wal")):
        if path.exists():
            path.unlink()
    shutil.rmtree(target, ignore_errors=True)
    env = dict(os.environ)
    env.update(
        MEDIA_IMPACT_DB=str(db),
        DBT_TARGET_PATH=str(target),
        DBT_LOG_PATH=str(work / "logs"),
        DBT_PROFILES_DIR=str(REPO_ROOT / "profiles"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    figures = RunFigures(scale=scale)
    project = REPO_ROOT
    if scale > 1:
        world = world_dir(scale, data_root)
        project = prepare_project(world, work)
    dbt_cmd = [sys.executable, "-m", "dbt.cli.main", "build", "--project-dir", str(project)]
    if scale == 1 and not sql_only:     # the README's build command (write, audit, publish)
        dbt_cmd = [sys.executable, "-m", "media_impact.pipeline", "build"]
    excludes = ["path:python_models+"] if sql_only else []
    load_s = 0.0
    load_peak = 0.0
    if scale > 1:
        csvs = raw_csv_dir(world)
        load_s, load_peak, rc = run_measured(
            [sys.executable, "-m", "media_impact.pipeline.load", "--src", str(csvs), "--db", str(db)],
            env,
            work / "load.log",
        )
        if rc != 0:
            raise RuntimeError(f"load failed at scale {scale}, see {work / 'load.log'}")
        dbt_cmd += ["--vars", "{raw_mode: source}"]
        # unit tests mock their inputs as the seeds (ref), which source mode does not read
        excludes += ["path:seeds/raw", "resource_type:unit_test"]
    if excludes:
        dbt_cmd += ["--exclude", *excludes]
    wall_s, peak_mb, rc = run_measured(dbt_cmd, env, work / "dbt.log")
    stage_s, statuses, n_nodes = stage_times(target)
    stage_s["load"] = load_s
    figures.stage_s = stage_s
    figures.total_s = load_s + wall_s
    figures.peak_rss_mb = max(peak_mb, load_peak)
    figures.n_nodes = n_nodes
    figures.status_counts = statuses
    if rc != 0:
        print(f"  warning: dbt build exited {rc} at scale {scale} ({statuses}); see {work / 'dbt.log'}", flush=True)
    elif scale == 1 and not sql_only:
        for name, extra in (("unchanged", []), ("forced", ["--force"])):
            wall, _, rc = run_measured([*dbt_cmd, *extra], env, work / f"rebuild_{name}.log")
            figures.rebuild_s[name] = wall if rc == 0 else float("nan")
    return figures


def median_figures(runs: list[RunFigures]) -> RunFigures:
    med = RunFigures(scale=runs[0].scale)
    med.stage_s = {s: statistics.median(r.stage_s.get(s, 0.0) for r in runs) for s in STAGES}
    med.total_s = statistics.median(r.total_s for r in runs)
    med.peak_rss_mb = statistics.median(r.peak_rss_mb for r in runs)
    med.n_nodes = runs[0].n_nodes
    med.status_counts = runs[-1].status_counts
    med.rebuild_s = {k: statistics.median(r.rebuild_s[k] for r in runs) for k in runs[0].rebuild_s}
    return med


def format_table(rows: list[tuple[RunFigures, int, int]], repeats: int) -> str:
    header = f"{'scale':>5} {'raw rows':>11} {'raw MB':>8} " + " ".join(f"{s + ' s':>10}" for s in STAGES)
    header += f" {'total s':>9} {'s/M rows':>9} {'peak MB':>8}  statuses"
    lines = [f"medians of {repeats} repeats; stage = wall span from run_results.json", header]
    for fig, n_bytes, n_rows in rows:
        per_m = fig.total_s / (n_rows / 1e6) if n_rows else float("nan")
        line = f"{fig.scale:>5} {n_rows:>11,} {n_bytes / 2**20:>8.1f} "
        line += " ".join(f"{fig.stage_s.get(s, 0.0):>10.1f}" for s in STAGES)
        line += f" {fig.total_s:>9.1f} {per_m:>9.1f} {fig.peak_rss_mb:>8.0f}  {fig.status_counts}"
        lines.append(line)
        if fig.rebuild_s:
            lines.append(f"{'':>5} the build command again on the built file: unchanged inputs "
                         f"{fig.rebuild_s['unchanged']:.1f} s (up to date, nothing rebuilt); --force "
                         f"{fig.rebuild_s['forced']:.1f} s (dbt build again, MMM fit and forecasts reused)")
    return "\n".join(lines)


def help_seconds(repeats: int = 3) -> dict[str, float]:
    """Median wall seconds of `media-impact <command> --help`, every command, each in a fresh process."""
    from media_impact.cli import COMMANDS

    out = {}
    for name in COMMANDS:
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([str(Path(sys.executable).parent / "media-impact"), name, "--help"], cwd=REPO_ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            runs.append(time.perf_counter() - started)
        out[name] = statistics.median(runs)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-root", type=Path, default=REPO_ROOT / "data")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench_out")
    parser.add_argument(
        "--sql-only-from-scale",
        type=int,
        default=None,
        help="from this scale up, leave out the dbt Python models (benchmark the SQL layer only)",
    )
    parser.add_argument("--regenerate", action="store_true", help="regenerate cached worlds")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[RunFigures, int, int]] = []
    all_runs: dict[int, list[dict]] = {}
    for scale in args.scales:
        sql_only = args.sql_only_from_scale is not None and scale >= args.sql_only_from_scale
        if scale > 1:
            csv_dir = raw_csv_dir(world_dir(scale, args.data_root, args.regenerate))
        else:
            csv_dir = REPO_ROOT / "seeds" / "raw"
        n_bytes, n_rows = data_size(csv_dir)
        runs = []
        for repeat in range(args.repeats):
            with tempfile.TemporaryDirectory(prefix=f"bench_s{scale}_") as tmp:
                fig = bench_once(scale, Path(tmp), args.data_root, sql_only)
                if repeat == args.repeats - 1:
                    shutil.copy(Path(tmp) / "dbt.log", args.out / f"dbt_scale{scale}.log")
            print(
                f"scale {scale} repeat {repeat + 1}/{args.repeats}: total {fig.total_s:.1f} s, "
                f"peak {fig.peak_rss_mb:.0f} MB{' (SQL layer only)' if sql_only else ''}",
                flush=True,
            )
            runs.append(fig)
        all_runs[scale] = [r.__dict__ for r in runs]
        rows.append((median_figures(runs), n_bytes, n_rows))
    table = format_table(rows, args.repeats)
    if 1 in args.scales:
        helps = help_seconds(args.repeats)
        slowest = max(helps, key=helps.get)
        table += (f"\n      --help of every command (median of {args.repeats}): slowest {slowest} "
                  f"{helps[slowest]:.2f} s; " + ", ".join(f"{k} {v:.2f}" for k, v in helps.items()))
    print(table)
    (args.out / "build_bench.txt").write_text(table + "\n")
    (args.out / "build_bench.json").write_text(json.dumps(all_runs, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
