"""Forecast benchmark: the whole forecasting stage, timed, next to statsforecast's AutoETS.

    python -m media_impact.forecast.bench --db media_impact.duckdb --repeats 3
    python -m media_impact.forecast.bench --db /tmp/fc10/fc10.duckdb --repeats 1     # a scale-10 build
    python -m media_impact.forecast.bench --synthetic 14 28 56 112 --repeats 1       # scaling curve
    python -m media_impact.forecast.bench --dbt --repeats 3                          # the dbt models

For a built database it reads `marts.forecast_features_weekly` (and
`forecast.forecast_series_costs` when present), runs `run_forecasting` (backtest
with calibration warm-up, model choice, final fit and forecasts, money, health)
`--repeats` times and prints the median wall time of each part; then it runs
statsforecast's AutoETS (season 52) and SeasonalNaive on the same series and the
same rolling origins and prints accuracy and time side by side. `--synthetic`
times the stage on generated panels of 3 x N series (media_impact.forecast.synthetic)
to show how time grows with the number of series. `--dbt` builds the forecast models
(`dbt build --select +path:python_models/forecast`, data tests left out) into an empty
database and then again with unchanged inputs, and prints each forecast model's seconds
and the stage's wall span (the union of their run intervals, from run_results.json).
Figures, not pass/fail.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from media_impact.forecast import metrics
from media_impact.forecast.config import load_config
from media_impact.forecast.pipeline import GLOBAL, SNAIVE, run_forecasting


def _load(db: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    import duckdb

    con = duckdb.connect(db, read_only=True)
    try:
        features = con.sql("select * from marts.forecast_features_weekly").df()
        try:
            costs = con.sql("select * from forecast.forecast_series_costs").df()
        except duckdb.Error:
            costs = None
    finally:
        con.close()
    return features, costs


def time_stage(features: pd.DataFrame, costs, cfg: dict, repeats: int) -> tuple[dict, dict]:
    """Median timings over `repeats` runs and the last run's outputs."""
    runs, out = [], None
    for _ in range(repeats):
        out = run_forecasting(features, costs, cfg)
        runs.append(out["timings_s"])
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return med, out


def statsforecast_backtest(pred: pd.DataFrame, features: pd.DataFrame, horizon: int, n_jobs: int) -> tuple[pd.DataFrame, float]:
    """AutoETS(season_length=52) and SeasonalNaive(52) from statsforecast on the same series and origins."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    series = pred.loc[pred["level"] == "series"]
    origins = sorted(series["origin_week"].unique())
    df = features.loc[features["units"].notna(), ["market_id", "retailer_id", "week_start", "units"]].copy()
    df["unique_id"] = df["market_id"].astype(str) + "|" + df["retailer_id"].astype(str)
    df = df.rename(columns={"week_start": "ds", "units": "y"})[["unique_id", "ds", "y"]]
    df["ds"] = pd.to_datetime(df["ds"])
    frames, elapsed, cpu = [], 0.0, 0.0
    # compile numba kernels before timing (statsforecast JIT-compiles on first use)
    warm = df.loc[df["unique_id"] == df["unique_id"].iloc[0]]
    StatsForecast(models=[AutoETS(season_length=52)], freq="W-MON", n_jobs=1).forecast(df=warm, h=horizon, level=[80])
    for origin in origins:
        train = df.loc[df["ds"] <= origin]
        sf = StatsForecast(models=[AutoETS(season_length=52)], freq="W-MON", n_jobs=n_jobs)
        t0, c0 = time.perf_counter(), time.process_time()
        fc = sf.forecast(df=train, h=horizon, level=[80])
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        fc = fc.rename(columns={"unique_id": "series_id", "ds": "week_start", "AutoETS": "p50",
                                "AutoETS-lo-80": "p10", "AutoETS-hi-80": "p90"})
        fc["origin_week"] = origin
        frames.append(fc[["series_id", "origin_week", "week_start", "p10", "p50", "p90"]])
    sf_pred = pd.concat(frames, ignore_index=True)
    keys = series.loc[series["model"] == GLOBAL, ["series_id", "origin_week", "week_start", "units", "mase_scale"]]
    sf_pred = keys.merge(sf_pred, on=["series_id", "origin_week", "week_start"], how="left")
    sf_pred[["p10", "p50", "p90"]] = sf_pred[["p10", "p50", "p90"]].clip(lower=0)
    sf_pred["model"] = "statsforecast_autoets"
    sf_pred["level"] = "series"
    return sf_pred, (elapsed, cpu)


def side_by_side(pred: pd.DataFrame, extra: pd.DataFrame | None) -> pd.DataFrame:
    series = pred.loc[pred["level"] == "series"]
    both = pd.concat([series, extra], ignore_index=True) if extra is not None else series
    scale = both.drop_duplicates("series_id").set_index("series_id")["mase_scale"]
    m = metrics.backtest_metrics(both, scale)
    m = m.loc[m["series_id"] == "__overall__"].set_index("model")
    return m[["mase", "wape", "bias", "scaled_pinball_loss", "coverage_80", "n_forecasts"]]


def dbt_stage_times(target: Path) -> dict[str, float]:
    """Seconds of each model in python_models/forecast/ and `stage` = the wall span in which at
    least one of them ran (from run_results.json and manifest.json)."""
    from media_impact.pipeline.bench import _ts, _union_seconds

    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    out, spans = {}, []
    for result in json.loads((target / "run_results.json").read_text())["results"]:
        node = nodes.get(result["unique_id"], {})
        if node.get("resource_type") != "model" or not node.get("original_file_path", "").startswith("python_models/forecast/"):
            continue
        times = [(_ts(t["started_at"]), _ts(t["completed_at"])) for t in result.get("timing", []) if t.get("started_at")]
        spans.append((min(a for a, _ in times), max(b for _, b in times)))
        out[node["name"]] = result["execution_time"]
    out["stage"] = _union_seconds(spans)
    return out


def dbt_builds(repeats: int) -> dict[str, dict[str, float]]:
    """Median per-model seconds of a build into an empty database ('fresh') and of a second
    build with unchanged inputs ('rebuild'), each repeat in a new temporary database."""
    from media_impact.pipeline.build import REPO_ROOT

    runs: dict[str, list[dict[str, float]]] = {"fresh": [], "rebuild": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "MEDIA_IMPACT_DB": f"{tmp}/fc.duckdb", "DBT_TARGET_PATH": f"{tmp}/target"}
            for kind in ("fresh", "rebuild"):
                cmd = [str(Path(REPO_ROOT) / ".venv/bin/dbt"), "build", "--profiles-dir", "profiles", "--select",
                       "+path:python_models/forecast", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
                done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"dbt build failed:\n{done.stdout[-3000:]}")
                runs[kind].append(dbt_stage_times(Path(tmp) / "target"))
    return {kind: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for kind, rs in runs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("MEDIA_IMPACT_DB", "media_impact.duckdb"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--synthetic", type=int, nargs="*", help="numbers of markets for a synthetic scaling curve")
    parser.add_argument("--no-statsforecast", action="store_true")
    parser.add_argument("--sf-jobs", type=int, default=1, help="statsforecast n_jobs")
    parser.add_argument("--dbt", action="store_true", help="time the forecast dbt models (fresh build and rebuild)")
    args = parser.parse_args(argv)
    cfg = load_config()
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"cores: {os.cpu_count()}  load average (1 min) at start: {load:.1f}")

    if args.dbt:
        med = dbt_builds(args.repeats)
        print(f"\nforecast dbt models, seconds, median of {args.repeats} (stage = wall span of the forecast models)")
        print(f"{'model':<32} {'fresh':>8} {'rebuild':>8}")
        for name in sorted(med["fresh"], key=lambda k: (k == "stage", -med["fresh"][k])):
            print(f"{name:<32} {med['fresh'][name]:>8.2f} {med['rebuild'].get(name, float('nan')):>8.2f}")
        return 0

    if args.synthetic:
        from media_impact.forecast.synthetic import make_panel

        print(f"\nsynthetic scaling curve, 156 actual weeks, median of {args.repeats}")
        print(f"{'series':>8} {'rows':>9} {'wall_s':>9} {'cpu_s':>9} {'cpu_s/series':>12}")
        for n in args.synthetic:
            features, _ = make_panel(n_markets=n, n_weeks=156, horizon_future=cfg["horizon"], seed=0)
            med, _ = time_stage(features, None, cfg, args.repeats)
            n_series = 3 * n
            print(f"{n_series:>8} {len(features):>9} {med['total']:>9.1f} {med['cpu_total']:>9.1f} "
                  f"{med['cpu_total'] / n_series:>12.3f}", flush=True)
        return 0

    features, costs = _load(args.db)
    n_series = features[["market_id", "retailer_id"]].drop_duplicates().shape[0]
    print(f"database: {args.db}  series: {n_series}  rows: {len(features)}")
    med, out = time_stage(features, costs, cfg, args.repeats)
    print(f"\nforecasting stage, median of {args.repeats} run(s):")
    for k, v in med.items():
        print(f"  {k:<10} {v:7.1f} s")
    pred = out["backtest_predictions"]
    extra, sf_s = None, (float("nan"), float("nan"))
    if not args.no_statsforecast:
        extra, sf_s = statsforecast_backtest(pred, features, int(cfg["horizon"]), args.sf_jobs)
    table = side_by_side(pred, extra)
    table["wall_s"] = np.nan
    table["cpu_s"] = np.nan
    table.loc[GLOBAL, ["wall_s", "cpu_s"]] = [med["total"], med["cpu_total"]]
    if extra is not None and args.sf_jobs == 1:
        table.loc["statsforecast_autoets", ["wall_s", "cpu_s"]] = list(sf_s)
    elif extra is not None:
        table.loc["statsforecast_autoets", "wall_s"] = sf_s[0]
    print("\nbacktest accuracy, series level (MASE, scaled pinball: mean over series; WAPE, bias, coverage: pooled)")
    print("wall_s / cpu_s: global_hgb = the whole stage (all models, calibration, final forecasts);\n"
          "AutoETS = its fits and forecasts at the same origins (after JIT warm-up)")
    print(table.round(4).to_string())
    base = table.loc[SNAIVE, "mase"]
    print(f"\nMASE improvement over seasonal naive: global {1 - table.loc[GLOBAL, 'mase'] / base:.1%}"
          + (f", AutoETS {1 - table.loc['statsforecast_autoets', 'mase'] / base:.1%}" if extra is not None else ""))
    cost = out["backtest_cost"].set_index("series_id").loc["__overall__"]
    print(f"backtest cost of error: median ${cost['cost_median_usd']:,.0f}, quantile policy "
          f"${cost['cost_quantile_policy_usd']:,.0f}, saving ${cost['saving_usd']:,.0f} ({cost['saving_pct']:.1%})")
    print(f"models chosen: {out['model_choice']['chosen_model'].value_counts().to_dict()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
