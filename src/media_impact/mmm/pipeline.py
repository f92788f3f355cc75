"""From input tables to the eight output tables of the ``mmm`` schema.

``run_all`` fits every configured model (national per country, market panel per
country), bootstraps the preferred one... and returns tidy DataFrames. Results are
persisted by the dbt model ``mmm_fit`` (:func:`media_impact.mmm.dbt_entry.fit_bundle`)
and read by the thin output models through ``ref()``.
"""
from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import tables as tb
from .config import MMMConfig
from .data import frame_from_marts, panel_from_frame
from .grouping import market_groups, pool_markets, relabel_experiments
from .fitting import ModelResult, bootstrap, curve_covariance, fit_candidates, laplace
from .model import Experiment
from .posterior import posterior_draws, supports_posterior

TABLES = ("model_runs", "candidates", "channel_parameters", "decomposition_weekly",
          "channel_roi", "response_curves", "budget_allocation", "scenarios")


MARTS_MAPPING = {
    "date_column": "week_start", "kpi_column": "revenue_usd", "group_column": "market_id",
    "country_column": "country_id", "population_column": "population",
    "controls": ["economic_index", "inflation_rate", "unemployment_rate"],
    "categorical_controls": [{"column": "holiday_name", "separator": ","}],
}


def _hash(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
    return h.hexdigest()[:16]


def experiments_from_table(cal: pd.DataFrame | None, country: str, channels: list,
                           groups: list | None = None) -> list:
    """Experiment rows of ``country`` for channels in the model (calibration table).

    With ``test_market_ids`` in the table and a market panel (``groups``), the lift is
    modelled in the test markets only; a national series cannot represent a test in
    some markets, so experiments with test markets are left out of national fits."""
    if cal is None or len(cal) == 0:
        return []
    out = []
    for r in cal.sort_values("experiment_id").itertuples(index=False):
        if getattr(r, "country_id", country) != country or r.channel_id not in channels:
            continue
        se = float(r.incremental_revenue_se_usd)
        if not np.isfinite(se) or se <= 0:
            continue
        sc = getattr(r, "spend_change_usd", None)
        tm = getattr(r, "test_market_ids", None)
        tm = [m for m in str(tm).split(";") if m] if isinstance(tm, str) else None
        if tm and (groups is None or not set(tm) <= set(groups)):
            continue
        out.append(Experiment(channel_id=r.channel_id, start=np.datetime64(pd.Timestamp(r.test_start_date).date()),
                              end=np.datetime64(pd.Timestamp(r.test_end_date).date()),
                              lift_usd=float(r.incremental_revenue_usd), se_usd=se,
                              spend_change_usd=None if sc is None or pd.isna(sc) else float(sc),
                              groups=tm, experiment_id=str(r.experiment_id)))
    return out


def run_all(frame: pd.DataFrame, mapping: dict, cfg: dict, calibration: pd.DataFrame | None = None,
            reallocation_usd: float | None = None, progress=None) -> dict:
    """Fit, draw the intervals and plan; return ``{table: DataFrame}``."""
    return run_models(frame, mapping, cfg, calibration, reallocation_usd, progress)[0]


def run_models(frame: pd.DataFrame, mapping: dict, cfg: dict, calibration: pd.DataFrame | None = None,
               reallocation_usd: float | None = None, progress=None) -> tuple[dict, list]:
    """``run_all``'s tables and the preferred fits: ``[(ident, ModelResult, draws or None)]``
    (what :mod:`media_impact.mmm.saved` writes to a file). ``progress(message)`` hears
    each fit start and end.

    BLAS runs single-threaded here: the model's products are small, and a BLAS thread
    pool's spinning on a busy 2-core machine cost ten times the work itself (the
    sampler splits its walkers over threads instead, ``sampler.threads``)."""
    typed = cfg if isinstance(cfg, MMMConfig) else MMMConfig.from_dict(cfg)
    with threadpool_limits(1, user_api="blas"):
        return _run(frame, mapping, typed, calibration, reallocation_usd, progress or (lambda msg: None))


def marts_frame(design: pd.DataFrame, media: pd.DataFrame, retailer_sales: pd.DataFrame | None = None,
                cfg: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """The wide frame and column mapping of the MMM marts.

    With ``retailer_sales`` (mmm_retailer_sales_weekly) and a ``retailer_id`` on the
    media mart, revenue is split by retailer and retail-media channels get retailer
    rows (:meth:`media_impact.mmm.model.MMM._compile_split`)."""
    frame, channels = frame_from_marts(design, media, retailer_sales)
    mapping = {**MARTS_MAPPING, **((cfg or {}).get("data") or {})}
    mapping["spend_columns"] = {c: f"spend__{c}" for c in channels}
    parts = [c[len("revenue__"):] for c in frame.columns if c.startswith("revenue__")]
    if parts and "retailer_id" in media.columns:
        mapping["split_columns"] = {r: f"revenue__{r}" for r in parts}
        own = media.dropna(subset=["retailer_id"]).drop_duplicates("channel_id")
        mapping["channel_splits"] = {str(c): str(r) for c, r in zip(own.channel_id, own.retailer_id)
                                     if str(r) in parts}
    if "population" not in frame.columns:
        mapping.pop("population_column", None)
    return frame, mapping


# USD columns of the MMM's input tables, rounded before the fit (to_grid)
_USD_COLUMNS = ("revenue_usd", "spend_usd", "incremental_revenue_usd", "incremental_revenue_se_usd",
                "spend_change_usd")
USD_DECIMALS = 6


def to_grid(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """The USD columns rounded to a millionth of a dollar. A warehouse sums doubles in
    parallel, so two builds of the same data can differ in the last bits of a sum, and
    a nonlinear fit can carry that into its third digit. The feeds hold cents and the
    FX rates 4 decimals, so every true amount lies on this grid (cents would not do:
    a converted amount can sit exactly on a half cent, where the noise decides the
    rounding), and the noise is far below half a step: two builds then give the same
    tables bit for bit."""
    if df is None or not len(df):
        return df
    out = df.copy()
    for col in _USD_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype(float).round(USD_DECIMALS)
    return out


def run_marts(design: pd.DataFrame, media: pd.DataFrame, cfg: dict,
              calibration: pd.DataFrame | None = None, reallocation_usd: float | None = None,
              retailer_sales: pd.DataFrame | None = None) -> dict:
    """``run_all`` on the sample world's (or a warehouse's) MMM marts (:func:`marts_frame`),
    with USD columns on a fixed grid (:func:`to_grid`)."""
    frame, mapping = marts_frame(to_grid(design), to_grid(media), to_grid(retailer_sales), cfg)
    return run_all(frame, mapping, cfg, to_grid(calibration), reallocation_usd)


def _countries(frame, mapping) -> list:
    ccol = mapping.get("country_column")
    return sorted(frame[ccol].astype(str).unique()) if ccol else [mapping.get("country_id", "all")]


def _run(frame, mapping, cfg: MMMConfig, calibration, reallocation_usd, progress) -> tuple[dict, list]:
    """Every scope of every country in order; a preferred run's planning (curves,
    optimiser, scenarios: a pure function of its fit and draws) goes to a one-thread
    pool, so it overlaps the next country's fit and sampling (numpy releases the GIL).
    Tables are assembled in the same order whatever finishes first."""
    with ThreadPoolExecutor(1, thread_name_prefix="mmm-plan") as planner:
        return _fit_and_plan(frame, mapping, cfg, calibration, reallocation_usd, progress, planner)


def _fit_and_plan(frame, mapping, cfg: MMMConfig, calibration, reallocation_usd, progress,
                  planner) -> tuple[dict, list]:
    plan = cfg.planning
    planned = []
    amount = float(reallocation_usd if reallocation_usd is not None else plan.amount_usd)
    tables = {t: [] for t in TABLES}
    donor_country = cfg.share_curves.from_country
    inflate = float(cfg.share_curves.inflate)
    countries = _countries(frame, mapping)
    if donor_country in countries:   # the donor is fitted first; its curves inform the others
        countries = [donor_country] + [c for c in countries if c != donor_country]
    donor, donor_draws = None, None
    fitted = []
    for country in countries:
        starts = []
        for scope in cfg.scopes:
            t0, c0 = time.perf_counter(), time.process_time()
            progress(f"{scope}:{country}: fitting")
            level = "national" if scope == "national" else "market"
            pooled = market_groups(frame, mapping, country, cfg.panel.max_series, calibration) \
                if level == "market" else None
            data = panel_from_frame(pool_markets(frame, mapping, pooled) if pooled else frame, mapping, level,
                                    country if mapping.get("country_column") else None)
            keep = data.spend.sum(axis=(0, 1)) > 0
            if not keep.all():  # a channel that never ran in this country is not in its model
                data = replace(data, channels=[c for c, k in zip(data.channels, keep) if k],
                               spend=data.spend[:, :, keep])
            exps = experiments_from_table(relabel_experiments(calibration, pooled), country, data.channels,
                                          data.groups if scope != "national" else None)
            prior_from = donor if (scope != "national" and country != donor_country) else None
            res = fit_candidates(f"{scope}:{country}", data, cfg.model, list(cfg.candidates), exps,
                                 asdict(cfg.cv_for(scope)), starts=starts or None, prior_from=prior_from)
            if scope != "national" and country == donor_country:
                donor = (res, curve_covariance(res), inflate)
            starts = [res.fit.theta] if res.settings.param_names() == cfg.model.param_names() else []
            is_pref = scope == cfg.preferred_scope
            T = data.n_weeks
            window = np.arange(T) >= T - min(plan.window_weeks, T)
            boot = None
            if cfg.intervals.samples > 0 and (is_pref or cfg.intervals_all_scopes):
                boot = intervals(res, cfg, donor_draws if prior_from is not None else None)
                if scope != "national" and country == donor_country and "draws" in boot:
                    donor_draws = (res, boot["draws"])
            secs = (time.perf_counter() - t0, time.process_time() - c0)
            shared = cfg.raw.get("share_curves") if prior_from is not None else None
            run_id = _hash(cfg.name, scope, country, data.fingerprint(),
                           json.dumps(res.settings.to_dict(), sort_keys=True), json.dumps(shared, sort_keys=True))
            ident = {"run_id": run_id, "model_scope": scope, "country_id": country}
            tables["model_runs"].append(tb.model_run(ident, res, exps, boot, cfg, secs, is_pref, pooled))
            tables["candidates"].append(tb.candidates(ident, res))
            tables["channel_parameters"].append(tb.channel_parameters(ident, res))
            tables["decomposition_weekly"].append(tb.decomposition_weekly(ident, res))
            tables["channel_roi"].append(tb.channel_roi(ident, res, boot, is_pref))
            if is_pref:
                planned.append(planner.submit(tb.planning, ident, res, boot, window, plan, amount))
                fitted.append((ident, res, (boot or {}).get("draws"), pooled))
            progress(f"{scope}:{country}: done in {time.perf_counter() - t0:.1f} s"
                     + (f" ({boot['method']} intervals)" if boot else ""))
    for job in planned:
        for t, df in job.result().items():
            tables[t].append(df)
    out = {}
    for t, parts in tables.items():
        parts = [p for p in parts if len(p)]
        out[t] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out, fitted


def intervals(res: ModelResult, cfg: MMMConfig, donor_draws=None) -> dict:
    """Draws of ROI, marginal ROI, contribution and incremental revenue per country:
    the posterior (default; ``donor_draws`` = another country's ``(ModelResult, Draws)``
    whose curves are this panel's prior), Laplace or the block bootstrap."""
    iv = cfg.intervals
    method = iv.method
    if method == "posterior" and not supports_posterior(res.model):
        method = "laplace"      # forms the sampler does not take (decision 23)
    if method == "posterior":
        return posterior_draws(res, cfg.priors, cfg.sampler, donor_draws, float(cfg.share_curves.inflate))
    if method == "laplace":
        return laplace(res, iv.samples, iv.seed, float(iv.inflate), robust=iv.covariance)
    return bootstrap(res, iv.samples, iv.block_weeks, iv.seed, iv.maxiter)
