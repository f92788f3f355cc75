"""One small function per ``mmm`` output table, from one fitted run.

``ident`` is ``{run_id, model_scope, country_id}``; ``res`` the
:class:`media_impact.mmm.fitting.ModelResult`; ``boot`` the interval draws of
:func:`media_impact.mmm.pipeline.intervals` (``None`` when the scope has none).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .config import MMMConfig
from .curves import response_curves
from .fitting import ModelResult
from .response_draws import PosteriorResponse
from .scenarios import scenarios


def model_run(ident: dict, res: ModelResult, exps, boot, cfg: MMMConfig, secs, is_pref: bool,
              market_groups: dict | None = None) -> pd.DataFrame:
    """``mmm_model_runs``: one row per fitted run, its settings and fit metrics (with the
    markets pooled into each series when the country has more than ``panel.max_series``)."""
    data, s = res.data, res.settings
    settings = {"model": s.to_dict(), **cfg.record(),
                "interval_method": None if boot is None else boot["method"],
                "likelihood_weight": boot["draws"].weight if boot and "draws" in boot else None,
                "curve_prior": res.model.prior is not None}
    if market_groups:
        settings["market_groups"] = market_groups
    run = {**ident, "config_name": cfg.name, "adstock": s.adstock, "saturation": s.saturation,
           "l_max": s.l_max, "ridge": s.ridge, "settings_json": json.dumps(settings, sort_keys=True),
           "data_fingerprint": data.fingerprint(), "n_series": len(data.groups), "n_weeks": data.n_weeks,
           "n_channels": len(data.channels), "n_experiments": len(exps), "is_preferred": is_pref,
           **{k: float(v) for k, v in res.metrics.items()}, "fit_seconds": round(secs[0], 3),
           "fit_cpu_seconds": round(secs[1], 3)}
    return pd.DataFrame([run])


def candidates(ident: dict, res: ModelResult) -> pd.DataFrame:
    """``mmm_candidates``: every candidate form's fit, side by side."""
    return res.candidates.assign(**ident)[list(ident) + list(res.candidates.columns)]


def channel_parameters(ident: dict, res: ModelResult) -> pd.DataFrame:
    """``mmm_channel_parameters``: each channel's curve at the point fit."""
    data, m, fit, s = res.data, res.model, res.fit, res.settings
    chans = data.channels
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
    return pd.DataFrame(rows)


def decomposition_weekly(ident: dict, res: ModelResult) -> pd.DataFrame:
    """``mmm_decomposition_weekly``: base, controls and media per week, summed over the
    country's series, with fitted and actual revenue."""
    data, m, fit = res.data, res.model, res.fit
    chans = data.channels
    dec = m.decomposition(fit)
    weeks = pd.to_datetime(data.weeks)
    fitted = fit.fitted.sum(axis=0)
    actual = data.y.sum(axis=0)
    parts = [("base", "base", dec["base"].sum(axis=0))]
    parts += [("control", n, dec["controls"][:, :, k].sum(axis=0)) for k, n in enumerate(m.control_names)]
    parts += [("media", ch, dec["media"][:, :, c].sum(axis=0)) for c, ch in enumerate(chans)]
    return pd.concat([pd.DataFrame({
        **ident, "week_start": weeks.date, "component_type": ct, "component": n,
        "contribution_usd": v, "fitted_revenue_usd": fitted, "actual_revenue_usd": actual})
        for ct, n, v in parts], ignore_index=True)


def channel_roi(ident: dict, res: ModelResult, boot, is_pref: bool) -> pd.DataFrame:
    """``mmm_channel_roi``: ROI, marginal ROI, contribution and incremental revenue over
    the whole history with their 90% intervals (posterior medians as points)."""
    data, m, fit = res.data, res.model, res.fit
    chans = data.channels
    dec = m.decomposition(fit)
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
    return pd.DataFrame(rows)


def planning(ident: dict, res: ModelResult, boot, window, plan, amount: float) -> dict:
    """``mmm_response_curves``, ``mmm_scenarios`` and ``mmm_budget_allocation`` of the
    preferred run, on the last planning window: over the posterior draws when there are
    some (expected revenue, every answer with its interval), else on the point fit."""
    data, m, fit = res.data, res.model, res.fit
    chans = data.channels
    resp = (PosteriorResponse(m, boot["draws"], window) if boot is not None and "draws" in boot
            else m.response(fit, window))
    curves = response_curves(resp, chans, plan.grid())
    curves.insert(0, "window_weeks", int(window.sum()))
    lower, upper = plan.bounds(chans)
    sc, opt = scenarios(m, fit, resp, chans, lower, upper, amount, plan.from_channel, plan.to_channel,
                        plan.budget_change, plan.flight_weeks, plan.pulse_on, plan.pulse_off)
    sc["roi"] = np.where(sc["spend_usd"] > 0, sc["incremental_revenue_usd"] / sc["spend_usd"].where(sc["spend_usd"] > 0), np.nan)
    out = {"response_curves": curves.assign(**ident)[list(ident) + list(curves.columns)],
           "scenarios": sc.assign(**ident)[list(ident) + list(sc.columns)]}
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
    out["budget_allocation"] = pd.DataFrame(rows)
    return out
