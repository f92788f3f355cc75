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
from dataclasses import replace

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import transforms as tf
from .curves import response_curves
from .data import frame_from_marts, panel_from_frame
from .fitting import ModelResult, bootstrap, curve_covariance, fit_candidates, laplace
from .model import Experiment, Settings
from .optimiser import allocate
from .posterior import posterior_draws, supports_posterior
from .response_draws import PosteriorResponse
from .scenarios import scenarios

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
            reallocation_usd: float | None = None) -> dict:
    """Fit, draw the intervals and plan; return ``{table: DataFrame}``.

    BLAS runs single-threaded here: the model's products are small, and a BLAS thread
    pool's spinning on a busy 2-core machine cost ten times the work itself (the
    sampler splits its walkers over threads instead, ``sampler.threads``)."""
    with threadpool_limits(1, user_api="blas"):
        return _run(frame, mapping, cfg, calibration, reallocation_usd)


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


def _run(frame, mapping, cfg, calibration, reallocation_usd) -> dict:
    base = Settings.from_dict(cfg.get("model"))
    cands = cfg.get("candidates") or [{}]
    scopes = cfg.get("scopes") or ["national"]
    preferred = cfg.get("preferred_scope", scopes[-1])
    plan = cfg.get("planning") or {}
    boot_cfg = {"method": "posterior", "samples": 50, "block_weeks": 8, "seed": 1, "maxiter": 20,
                **(cfg.get("bootstrap") or {})}
    realloc = plan.get("reallocation") or {}
    amount = float(reallocation_usd if reallocation_usd is not None else realloc.get("amount_usd", 5_000_000))
    tables = {t: [] for t in TABLES}
    share = cfg.get("share_curves") or {}
    donor_country = share.get("from_country")
    countries = _countries(frame, mapping)
    if donor_country in countries:   # the donor is fitted first; its curves inform the others
        countries = [donor_country] + [c for c in countries if c != donor_country]
    donor, donor_draws = None, None
    for country in countries:
        starts = []
        for scope in scopes:
            t0, c0 = time.perf_counter(), time.process_time()
            level = "national" if scope == "national" else "market"
            data = panel_from_frame(frame, mapping, level, country if mapping.get("country_column") else None)
            keep = data.spend.sum(axis=(0, 1)) > 0
            if not keep.all():  # a channel that never ran in this country is not in its model
                data = replace(data, channels=[c for c, k in zip(data.channels, keep) if k],
                               spend=data.spend[:, :, keep])
            exps = experiments_from_table(calibration, country, data.channels,
                                          data.groups if scope != "national" else None)
            cv = cfg.get("cv") or {}
            if scope != "national":
                cv = {**cv, **(cfg.get("cv_panel") or {})}
            prior_from = donor if (scope != "national" and country != donor_country) else None
            res = fit_candidates(f"{scope}:{country}", data, base, cands, exps, cv, starts=starts or None,
                                 prior_from=prior_from)
            if scope != "national" and country == donor_country:
                donor = (res, curve_covariance(res), float(share.get("inflate", 1.0)))
            starts = [res.fit.theta] if res.settings.param_names() == base.param_names() else []
            is_pref = scope == preferred
            T = data.n_weeks
            wwin = int(plan.get("window_weeks", 52))
            window = np.arange(T) >= T - min(wwin, T)
            boot = None
            if boot_cfg["samples"] > 0 and (is_pref or cfg.get("bootstrap_all_scopes", False)):
                post_donor = donor_draws if prior_from is not None else None
                boot = _intervals(res, boot_cfg, cfg, post_donor, float(share.get("inflate", 1.0)))
                if scope != "national" and country == donor_country and "draws" in boot:
                    donor_draws = (res, boot["draws"])
            secs = (time.perf_counter() - t0, time.process_time() - c0)
            run_id = _hash(cfg.get("name"), scope, country, data.fingerprint(),
                           json.dumps(res.settings.to_dict(), sort_keys=True),
                           json.dumps(share if prior_from is not None else None, sort_keys=True))
            ident = {"run_id": run_id, "model_scope": scope, "country_id": country}
            _collect(tables, ident, res, exps, boot, cfg, secs, is_pref, window, plan, amount, realloc)
    out = {}
    for t, parts in tables.items():
        parts = [p for p in parts if len(p)]
        out[t] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out


def _intervals(res: ModelResult, boot_cfg: dict, cfg: dict, donor_draws=None, inflate: float = 1.0) -> dict:
    """Draws of ROI, marginal ROI, contribution and incremental revenue per country:
    the posterior (default; ``donor_draws`` = another country's ``(ModelResult, Draws)``
    whose curves are this panel's prior), Laplace or the block bootstrap."""
    method = boot_cfg["method"]
    if method == "posterior" and not supports_posterior(res.model):
        method = "laplace"      # forms the sampler does not take (decision 23)
    if method == "posterior":
        return posterior_draws(res, cfg.get("priors"), cfg.get("sampler"), donor_draws, inflate)
    if method == "laplace":
        return laplace(res, boot_cfg["samples"], boot_cfg["seed"], float(boot_cfg.get("inflate", 1.0)),
                       robust=boot_cfg.get("covariance", "none"))
    return bootstrap(res, boot_cfg["samples"], boot_cfg["block_weeks"], boot_cfg["seed"], boot_cfg["maxiter"])


def _collect(tables, ident, res: ModelResult, exps, boot, cfg, secs, is_pref, window, plan, amount, realloc):
    data, m, fit, s = res.data, res.model, res.fit, res.settings
    chans = data.channels
    C = len(chans)
    run = {**ident, "config_name": cfg.get("name"), "adstock": s.adstock, "saturation": s.saturation,
           "l_max": s.l_max, "ridge": s.ridge,
           "settings_json": json.dumps({"model": s.to_dict(), "cv": cfg.get("cv"),
                                        "bootstrap": cfg.get("bootstrap"),
                                        "interval_method": None if boot is None else boot["method"],
                                        "priors": cfg.get("priors"), "sampler": cfg.get("sampler"),
                                        "likelihood_weight": (boot["draws"].weight if boot and "draws" in boot
                                                              else None),
                                        "curve_prior": res.model.prior is not None,
                                        "share_curves": cfg.get("share_curves")}, sort_keys=True),
           "data_fingerprint": data.fingerprint(), "n_series": len(data.groups), "n_weeks": data.n_weeks,
           "n_channels": C, "n_experiments": len(exps), "is_preferred": is_pref,
           **{k: float(v) for k, v in res.metrics.items()}, "fit_seconds": round(secs[0], 3),
           "fit_cpu_seconds": round(secs[1], 3)}
    tables["model_runs"].append(pd.DataFrame([run]))
    tables["candidates"].append(res.candidates.assign(**ident)[list(ident) + list(res.candidates.columns)])
    # parameters
    rows = []
    own = {}
    if m.split is not None:   # delta_c / beta_c: the retailer rows' own-retailer share
        own = {int(c): (fit.split_coef[e] / fit.beta[c] if fit.beta[c] > 0 else np.nan)
               for e, c in enumerate(m.split["chan"])}
    for c, ch in enumerate(chans):
        ad, sat = m.channel_params(fit.theta[c])
        w = m.weights(fit.theta[c])
        scale = float(m.spend_scale[:, c].sum())
        rows.append({**ident, "channel_id": ch, "adstock": s.adstock, "saturation": s.saturation,
                     "l_max": s.l_max, "alpha": ad.get("alpha", np.nan),
                     "weibull_shape": ad.get("shape", np.nan), "weibull_scale": ad.get("scale", np.nan),
                     "half_sat": sat.get("half_sat", np.nan), "slope": sat.get("slope", np.nan),
                     "lam": sat.get("lam", np.nan),
                     "mean_lag_weeks": float((np.arange(len(w)) * w).sum() / w.sum()),
                     "coefficient": float(fit.beta[c]), "own_retailer_share": float(own.get(c, np.nan)),
                     "spend_scale_usd_per_week": scale,
                     "half_sat_usd_per_week": sat["half_sat"] * scale if "half_sat" in sat else np.nan})
    tables["channel_parameters"].append(pd.DataFrame(rows))
    # decomposition (summed over the country's series)
    dec = m.decomposition(fit)
    weeks = pd.to_datetime(data.weeks)
    fitted = fit.fitted.sum(axis=0)
    actual = data.y.sum(axis=0)
    parts = [("base", "base", dec["base"].sum(axis=0))]
    parts += [("control", n, dec["controls"][:, :, k].sum(axis=0)) for k, n in enumerate(m.control_names)]
    parts += [("media", ch, dec["media"][:, :, c].sum(axis=0)) for c, ch in enumerate(chans)]
    tables["decomposition_weekly"].append(pd.concat([pd.DataFrame({
        **ident, "week_start": weeks.date, "component_type": ct, "component": n,
        "contribution_usd": v, "fitted_revenue_usd": fitted, "actual_revenue_usd": actual})
        for ct, n, v in parts], ignore_index=True))
    # ROI over the whole history
    resp_all = m.response(fit)
    contrib = dec["media"].sum(axis=(0, 1))
    spend = resp_all.spend
    rows = []
    for c, ch in enumerate(chans):
        inc, roi, mroi = resp_all.revenue(c, 1.0), resp_all.roi(c), resp_all.marginal_roi(c)
        r = {**ident, "channel_id": ch, "is_preferred": is_pref, "spend_usd": spend[c],
             "spend_share": spend[c] / spend.sum(), "contribution_usd": contrib[c],
             "incremental_revenue_usd": inc, "roi": roi, "marginal_roi": mroi}
        for name, point, q in (("contribution_usd", contrib[c], "contribution"),
                               ("incremental_revenue_usd", inc, "incremental"),
                               ("roi", roi, "roi"), ("marginal_roi", mroi, "mroi")):
            stem = name.replace("_usd", "")
            if boot is not None:
                draws = boot[ident["country_id"]][q][:, c]
                lo, hi = np.nanpercentile(draws, [5, 95])
                if boot.get("point") == "median":   # a posterior: the point is its median
                    point = float(np.nanmedian(draws))
                    r[name] = point
                # the point estimate is kept inside its interval
                r[f"{stem}_lower_90" + ("_usd" if name.endswith("_usd") else "")] = min(lo, point)
                r[f"{stem}_upper_90" + ("_usd" if name.endswith("_usd") else "")] = max(hi, point)
            else:
                r[f"{stem}_lower_90" + ("_usd" if name.endswith("_usd") else "")] = np.nan
                r[f"{stem}_upper_90" + ("_usd" if name.endswith("_usd") else "")] = np.nan
        rows.append(r)
    tables["channel_roi"].append(pd.DataFrame(rows))
    if not is_pref:
        return
    # planning on the last window: over the posterior draws when there are some (expected
    # revenue, every answer with its interval), else on the point fit
    resp = (PosteriorResponse(m, boot["draws"], window) if boot is not None and "draws" in boot
            else m.response(fit, window))
    g = plan.get("curve_multipliers") or {}
    grid = np.round(np.arange(g.get("start", 0.0), g.get("stop", 2.0) + 1e-9, g.get("step", 0.05)), 6)
    curves = response_curves(resp, chans, grid)
    curves.insert(0, "window_weeks", int(window.sum()))
    tables["response_curves"].append(curves.assign(**ident)[list(ident) + list(curves.columns)])
    bnd = plan.get("bounds") or {}
    dlo, dhi = bnd.get("default", [0.5, 1.5])
    per = bnd.get("channels") or {}
    lower = np.array([per.get(ch, [dlo, dhi])[0] for ch in chans], float)
    upper = np.array([per.get(ch, [dlo, dhi])[1] for ch in chans], float)
    fl = plan.get("flight") or {}
    sc, opt = scenarios(m, fit, resp, chans, lower, upper, amount, realloc.get("from_channel"),
                        realloc.get("to_channel"), float(plan.get("budget_change", 0.2)),
                        int(fl.get("weeks", 12)), int(fl.get("pulse_on", 2)), int(fl.get("pulse_off", 2)))
    sc["roi"] = np.where(sc["spend_usd"] > 0, sc["incremental_revenue_usd"] / sc["spend_usd"].where(sc["spend_usd"] > 0), np.nan)
    tables["scenarios"].append(sc.assign(**ident)[list(ident) + list(sc.columns)])
    gain = sc[sc.scenario_id == "optimal"].iloc[0]
    rows = []
    for c, ch in enumerate(chans):
        rows.append({**ident, "channel_id": ch, "window_weeks": int(window.sum()),
                     "optimal_gain_usd": gain.scenario_gain_usd,
                     "optimal_gain_lower_90_usd": gain.scenario_gain_lower_90_usd,
                     "optimal_gain_upper_90_usd": gain.scenario_gain_upper_90_usd,
                     "total_budget_usd": opt["total_budget"], "current_spend_usd": resp.spend[c],
                     "lower_bound_usd": opt["lower"][c], "upper_bound_usd": opt["upper"][c],
                     "optimal_spend_usd": opt["spend"][c],
                     "current_incremental_revenue_usd": resp.revenue(c, 1.0),
                     "optimal_incremental_revenue_usd": opt["revenue"][c],
                     "current_marginal_roi": resp.marginal_roi(c),
                     "optimal_marginal_roi": opt["marginal_roi"][c],
                     "is_at_lower_bound": bool(opt["at_lower"][c]), "is_at_upper_bound": bool(opt["at_upper"][c]),
                     "solver_status": opt["status"]})
    tables["budget_allocation"].append(pd.DataFrame(rows))
