"""Optional peer adapter: PyMC-Marketing 0.19.2, fitted as its docs fit it, on a benchmark world.

What is fitted
--------------
The model PyMC-Marketing 0.19.2 presents as its quickstart (the README's "Marketing Mix
Modeling" example and the class docstring of ``pymc_marketing.mmm.multidimensional``)::

    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    MMM(adstock=GeometricAdstock(l_max=8), saturation=LogisticSaturation(),
        date_column=..., channel_columns=[...], control_columns=[...],
        yearly_seasonality=2)

In 0.19 the classic ``pymc_marketing.mmm.MMM`` is deprecated (FutureWarning: "will be
removed in 0.20.0 ... use ``from pymc_marketing.mmm.multidimensional import MMM``. All our
documentation has been updated"), so the multidimensional class is the documented default
and the one used here (no ``dims``: one national series). Nothing else is set: no
``model_config`` (the package's default priors: intercept Normal(0, 2), controls Normal(0, 2),
Fourier Laplace(0, 1), likelihood Normal with HalfNormal(2) sigma, adstock alpha Beta(1, 3),
saturation lam Gamma(3, 1) and beta HalfNormal(2)), no ``scaling`` (the default max-abs
scaling of target and channels), no time-varying parameters. The spend columns are the
channels, the YAML's ``controls`` the control columns, the KPI the target (named ``y``, the
default ``target_column``). Sampling: 4 chains x 1000 draws after 1000 tuning steps (the
MMM's sampler config is empty, so these are pm.sample's draws/tune defaults; 4 chains are
set explicitly, as pm.sample would take only 2 on a 2-core machine), default target_accept,
``nuts_sampler="nutpie"``, ``random_seed=1`` (a rerun gives the same numbers). This is a new user's first honest fit, not a tuned one: the point of the
peer is "what the well-known open-source default says on the same world".

What the numbers mean
---------------------
Per channel, from the 4000 posterior draws:

* ``contribution``: the channel's contribution summed over the data window in the KPI's
  original units (USD), from the package's own original-scale contributions
  (``mmm.data.get_channel_contributions(original_scale=True)``);
* ``roi`` = that contribution / the channel's total spend over the window (spend from
  ``mmm.data.get_channel_spend()``); ``roi`` is the posterior mean, ``roi_lower_90`` /
  ``roi_upper_90`` the 5% / 95% posterior quantiles (an equal-tailed 90% interval).
  ``contribution_lower_90`` / ``contribution_upper_90`` and ``spend`` come along.

The carryover of the last weeks' spend past the last week is not in this sum. The package's
own incremental ROAS (``mmm.incrementality.contribution_over_spend(frequency="all_time")``,
a counterfactual with the channel's spend zeroed) gives the same numbers here to the last
digit, because its counterfactual is evaluated on observed dates only; so neither counts
that tail, whereas a benchmark world's ``true_roi`` does (its truth pads 12 zero weeks). The
gap is the model's carryover of the last ``l_max`` = 8 weeks' spend past the window.

The sampler's health is part of the result: the JSON has ``converged`` (max R-hat <= 1.05
and no divergences) and R-hat per variable, and the CLI prints a warning when it is false.
The defaults are not tuned to any world, and the logistic saturation's ``lam`` / ``beta``
pair is weakly identified for a channel whose spend varies little, so an unconverged
default fit is a finding to report, not something this adapter repairs.

A JSON sidecar next to the CSV (``<out>.json``) records timings, versions and the sampler
diagnostics (max R-hat, min bulk ESS, divergences).

Optional, never in CI's path
----------------------------
PyMC-Marketing pins other numpy/pandas/pytensor versions than this project, so it lives in
its own venv, ``.venv-peers`` (``make peers`` / ``scripts/peers_venv.sh``; the versions are
pinned there and in pyproject's ``peers`` extra, which the main venv never installs).
:func:`fit_world` runs in the main venv and calls :func:`main` in the peers venv as a
subprocess; only the MMM benchmark's optional ``--peers`` path imports it, and no test,
``make test`` or CI needs it. A full-default fit of a 156-week, 3-channel world takes about 45 s of one core
(nutpie, after compilation); more channels and weeks take longer.

    .venv-peers/bin/python -m media_impact.mmm.peers WORLD/world.yml --out WORLD/pymc_roi.csv
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PEERS_PYTHON_ENV = "MEDIA_IMPACT_PEERS_PYTHON"
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PEERS_PYTHON = REPO_ROOT / ".venv-peers" / "bin" / "python"
ROI_COLUMNS = ["channel_id", "roi", "roi_lower_90", "roi_upper_90"]

# the documented default sampling, stated so a reader sees it
CHAINS, DRAWS, TUNE, SEED = 4, 1000, 1000, 1


def peers_python() -> Path:
    return Path(os.environ.get(PEERS_PYTHON_ENV) or DEFAULT_PEERS_PYTHON)


def fit_world(world_dir, *, draws: int | None = None, tune: int | None = None,
              chains: int | None = None, seed: int | None = None,
              timeout: float | None = None):
    """Fit PyMC-Marketing on ``<world_dir>/world.yml`` in the peers venv.

    Returns ``(DataFrame, seconds)``: the per-channel ROI table written to
    ``<world_dir>/pymc_roi.csv`` (columns channel_id, roi, roi_lower_90, roi_upper_90, plus
    the contribution columns and spend) and the subprocess's wall time (venv
    start, imports, compilation, sampling and summaries). The fit's printout goes to
    ``<world_dir>/pymc_fit.log``, its timings and diagnostics to ``pymc_roi.json``. The keyword arguments override
    the documented defaults (4 chains x 1000 draws, 1000 tune, seed 1); leave them alone
    for the benchmark. Raises RuntimeError if the peers venv is missing or the fit fails.
    """
    import pandas as pd

    world_dir = Path(world_dir)
    python = peers_python()
    if not python.exists():
        raise RuntimeError(
            f"PyMC-Marketing peers venv not found ({python}): run `make peers` to create "
            f".venv-peers, or point {PEERS_PYTHON_ENV} at a python that has pymc-marketing "
            "and media_impact installed")
    yml, out = world_dir / "world.yml", world_dir / "pymc_roi.csv"
    if not yml.exists():
        raise FileNotFoundError(yml)
    cmd = [str(python), "-m", "media_impact.mmm.peers", str(yml), "--out", str(out)]
    for flag, value in (("--draws", draws), ("--tune", tune), ("--chains", chains), ("--seed", seed)):
        if value is not None:
            cmd += [flag, str(value)]
    if out.exists():
        out.unlink()
    # this tree's media_impact first, whichever checkout the peers venv was installed from
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT / "src"), env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    seconds = time.perf_counter() - t0
    (world_dir / "pymc_fit.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"PyMC-Marketing fit failed on {yml} (exit {proc.returncode}):\n"
                           f"{proc.stderr[-4000:]}")
    return pd.read_csv(out), seconds


# --------------------------------------------------------------- inside .venv-peers

def load_world(yml_path):
    """(X, y, mapping) from a world.yml: X has the date, spend and control columns."""
    import pandas as pd
    import yaml

    yml_path = Path(yml_path)
    cfg = yaml.safe_load(yml_path.read_text())
    data = cfg["data"]
    df = pd.read_csv(yml_path.parent / data["path"])
    date, kpi = data["date_column"], data["kpi_column"]
    spend = dict(data["spend_columns"])            # channel_id -> column
    controls = list(data.get("controls") or [])
    df[date] = pd.to_datetime(df[date])
    X = df[[date, *spend.values(), *controls]].copy()
    # the quickstart's target name (MMM's default target_column="y"), so the call matches it
    y = df[kpi].astype(float).rename("y")
    return X, y, {"name": cfg.get("name", yml_path.parent.name), "date_column": date,
                  "kpi_column": kpi, "spend_columns": spend, "controls": controls}


def _summary(draws, prefix: str) -> dict:
    """Posterior mean and 5% / 95% quantiles of a (sample,) array."""
    import numpy as np

    lo, hi = np.quantile(draws, [0.05, 0.95])
    return {prefix: float(np.mean(draws)), f"{prefix}_lower_90": float(lo),
            f"{prefix}_upper_90": float(hi)}


def fit_peer(yml_path, *, chains: int = CHAINS, draws: int = DRAWS, tune: int = TUNE,
             seed: int = SEED, progressbar: bool = False):
    """Fit the documented default MMM on a world; returns (roi table, meta dict)."""
    import warnings

    import arviz as az
    import numpy as np
    import pandas as pd
    import pymc_marketing
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    X, y, m = load_world(yml_path)
    channel_columns = list(m["spend_columns"].values())
    mmm = MMM(
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        date_column=m["date_column"],
        channel_columns=channel_columns,
        control_columns=m["controls"] or None,
        yearly_seasonality=2,
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        mmm.fit(X, y, chains=chains, draws=draws, tune=tune, nuts_sampler="nutpie",
                random_seed=seed, progressbar=progressbar)
    fit_seconds = time.perf_counter() - t0

    t1 = time.perf_counter()
    # package's original-scale channel contributions, (chain, draw, date, channel)
    contrib = mmm.data.get_channel_contributions(original_scale=True)
    spend = mmm.data.get_channel_spend()                                 # (date, channel)
    total_contrib = contrib.sum("date").stack(sample=("chain", "draw"))  # (channel, sample)
    total_spend = spend.sum("date")
    roi = total_contrib / total_spend
    summary_seconds = time.perf_counter() - t1

    col_to_id = {col: ch for ch, col in m["spend_columns"].items()}
    rows = []
    for col in channel_columns:
        row = {"channel_id": col_to_id[col]}
        row.update(_summary(roi.sel(channel=col).values, "roi"))
        row.update(_summary(total_contrib.sel(channel=col).values, "contribution"))
        row["spend"] = float(total_spend.sel(channel=col))
        rows.append(row)
    table = pd.DataFrame(rows)

    post = mmm.idata.posterior
    free = [v for v in ("intercept_contribution", "adstock_alpha", "saturation_lam",
                        "saturation_beta", "gamma_control", "gamma_fourier", "y_sigma")
            if v in post]
    summ = az.summary(mmm.idata, var_names=free, kind="diagnostics")
    by_var = summ.groupby(summ.index.str.split("[").str[0])
    r_hat_by_var = {k: float(v) for k, v in by_var["r_hat"].max().items()}
    stats = mmm.idata.sample_stats
    diverging = int(stats["diverging"].sum()) if "diverging" in stats else None
    import nutpie
    import pymc
    meta = {"world": m["name"], "yml": str(yml_path), "n_weeks": int(len(y)),
            "channels": list(m["spend_columns"]), "controls": m["controls"],
            "spec": "pymc_marketing.mmm.multidimensional.MMM(GeometricAdstock(l_max=8), "
                    "LogisticSaturation(), yearly_seasonality=2, default priors)",
            "sampler": {"nuts_sampler": "nutpie", "chains": chains, "draws": draws,
                        "tune": tune, "random_seed": seed},
            "fit_seconds": fit_seconds, "summary_seconds": summary_seconds,
            "max_r_hat": float(summ["r_hat"].max()), "min_ess_bulk": float(summ["ess_bulk"].min()),
            "divergences": diverging, "r_hat_by_variable": r_hat_by_var,
            "converged": bool(summ["r_hat"].max() <= 1.05 and (diverging or 0) == 0),
            "versions": {"pymc_marketing": pymc_marketing.__version__, "pymc": pymc.__version__,
                         "nutpie": nutpie.__version__, "numpy": np.__version__,
                         "pandas": pd.__version__}}
    return table, meta


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m media_impact.mmm.peers",
                                 description="Fit PyMC-Marketing's documented default MMM on a "
                                             "benchmark world (world.yml) and write per-channel ROI.")
    ap.add_argument("world_yml")
    ap.add_argument("--out", help="CSV to write (default: pymc_roi.csv next to the yml)")
    ap.add_argument("--chains", type=int, default=CHAINS)
    ap.add_argument("--draws", type=int, default=DRAWS)
    ap.add_argument("--tune", type=int, default=TUNE)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--progressbar", action="store_true")
    args = ap.parse_args(argv)
    yml = Path(args.world_yml)
    out = Path(args.out) if args.out else yml.parent / "pymc_roi.csv"

    table, meta = fit_peer(yml, chains=args.chains, draws=args.draws, tune=args.tune,
                           seed=args.seed, progressbar=args.progressbar)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(f"PyMC-Marketing {meta['versions']['pymc_marketing']} on {meta['world']} "
          f"({meta['n_weeks']} weeks, {len(table)} channels): fit {meta['fit_seconds']:.1f} s "
          f"(nutpie, {args.chains} x {args.draws} draws, {args.tune} tune), summaries "
          f"{meta['summary_seconds']:.1f} s; max R-hat {meta['max_r_hat']:.3f}, "
          f"min bulk ESS {meta['min_ess_bulk']:.0f}, divergences {meta['divergences']}")
    if not meta["converged"]:
        print("WARNING: the sampler did not converge cleanly (R-hat > 1.05 or divergences); "
              "the intervals are not to be trusted. R-hat by variable: "
              + ", ".join(f"{k} {v:.2f}" for k, v in meta["r_hat_by_variable"].items()))
    with __import__("pandas").option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
