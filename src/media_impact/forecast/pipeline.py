"""The forecasting stage: backtest, model choice, final forecasts, money and health.

Each function is one dbt Python model's worth of work (see python_models/forecast/);
`run_forecasting` chains them for the benchmark and the tests.
"""
from __future__ import annotations

import hashlib
import json
import time

import numpy as np
import pandas as pd

from media_impact.forecast import health, metrics, money
from media_impact.forecast.aggregation import correlation_factor, midpoint_errors, sum_quantiles
from media_impact.forecast.config import load_config
from media_impact.forecast.design import Design, build_design
from media_impact.forecast.inputs import min_history_weeks
from media_impact.forecast.models import GlobalQuantileModel, finalize, train_cap, holt_winters, mase_scale, seasonal_naive
from media_impact.forecast.panel import extend_future, last_actual_week, prepare_panel, series_last_weeks
from media_impact.forecast.reconcile import wls_two_level

GLOBAL = "global_hgb"
SNAIVE = "seasonal_naive"
ETS = "holt_winters_ets"
RECONCILED = "global_hgb_reconciled"
QCOL = {0.1: "p10", 0.5: "p50", 0.9: "p90"}
PRED_COLUMNS = ["level", "series_id", "country_id", "market_id", "retailer_id", "origin_week", "week_start",
                "horizon", "model", "p10", "p50", "p90", "units", "mase_scale"]


class Stage:
    """A prepared panel, its direct design and the backtest origins."""

    def __init__(self, features: pd.DataFrame, cfg: dict):
        self.cfg = cfg
        self.horizon = int(cfg["horizon"])
        self.season = int(cfg["season_length_weeks"])
        self.quantiles = [float(q) for q in cfg["quantiles"]]
        gm = cfg["global_model"]
        spend = gm.get("spend_columns")
        future = list(gm.get("future_columns") or [])
        self.panel = extend_future(prepare_panel(features), self.horizon,
                                   list(spend if spend is not None else ["planned_spend_usd"]) + future, self.season)
        # the backtest ends at the last week every series has; each series' final forecast
        # starts from its own last week
        self.last_week = last_actual_week(self.panel)
        self.series_last_week = series_last_weeks(self.panel)
        bt = cfg["backtest"]
        first = self.last_week - pd.Timedelta(weeks=int(bt["weeks"]))
        self.origins = list(pd.date_range(first, self.last_week - pd.Timedelta(weeks=1), freq=f"{int(bt['step_weeks'])*7}D"))
        self.design = build_design(self.panel, self.horizon, gm.get("macro_columns"),
                                   int(gm.get("level_window_weeks", 52)), spend, future, self.season)
        # MASE denominator fixed before the first origin, so every origin and model shares it
        self.scale = mase_scale(self.panel, self.origins[0] if self.origins else self.last_week, self.season).clip(lower=1e-9)
        self.scale_sq = self.scale**2
        totals = self._country_history(self.origins[0] if self.origins else self.last_week)
        season = self.season
        self.country_scale = totals.groupby("country_id")["units"].apply(lambda u: (u - u.shift(season)).abs().mean())

    def fit_predict(self, cutoff: pd.Timestamp, scores: pd.DataFrame | None = None,
                    global_only: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Forecasts from origin `cutoff` for weeks cutoff+1..cutoff+h by every model, both levels,
        and the global model's conformity scores for the weeks with actuals.

        Global P10/P90 are calibrated with `scores` (earlier origins' out-of-sample scores)."""
        idx = self.design.index
        train = self.design.training((idx["week_start"] <= cutoff).to_numpy(), *train_cap(self.cfg["global_model"]))
        pred_design = self.design.subset((idx["origin_week"] == cutoff).to_numpy())
        if global_only:  # calibration warm-up origins need only the calibrated levels' scores
            return None, self._calibration_scores(train, pred_design)
        glob, raw = self._global(train, pred_design, scores)
        level = pred_design.index["level"].to_numpy()
        snaive = seasonal_naive(pred_design, self.panel, cutoff, self.quantiles, self.season)
        series = [glob, self._frame(pred_design, SNAIVE, snaive)]
        country = self._country_forecasts(cutoff)
        method = self.cfg["reconciliation"]["method"]
        if method == "wls_scale":
            series.append(self._reconciled(series[0], country))
        elif method != "bottom_up":
            raise ValueError(f"unknown reconciliation method {method!r}")
        series = pd.concat(series, ignore_index=True)
        together = correlation_factor(scores)     # earlier origins' errors: how series err together
        return (pd.concat([series, self._bottom_up(series, together), country], ignore_index=True),
                conformity_scores(glob, raw, level))

    def _global(self, train: Design, pred_design: Design, scores: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray]:
        """The global model fitted on `train`: calibrated forecasts for `pred_design` (with the
        uncalibrated bounds alongside) and the raw quantiles."""
        model = GlobalQuantileModel(self.quantiles, self.cfg["global_model"]).fit(train)
        raw = model.predict(pred_design)
        level = pred_design.index["level"].to_numpy()
        calibrated = calibrate(raw, level, scores, self.quantiles, self.calibrate_levels,
                               self.cfg.get("calibration", {}).get("method", "shift"))
        glob = self._frame(pred_design, GLOBAL, calibrated)
        for j, tau in enumerate(self.quantiles):
            if tau in self.calibrate_levels:
                glob[f"{QCOL[tau]}_uncalibrated"] = raw[:, j]
        return glob, raw

    def _calibration_scores(self, train: Design, pred_design: Design) -> pd.DataFrame:
        """Conformity scores (y - q_tau) / L of the calibrated levels only (P10 and P90: the median
        is not calibrated, so a warm-up origin fits two quantile models, not three). Columns are
        the levels' positions in `quantiles`, as in :func:`conformity_scores`."""
        levels = [tau for tau in self.quantiles if tau in self.calibrate_levels]
        raw = GlobalQuantileModel(levels, self.cfg["global_model"]).fit(train).predict(pred_design)
        y, level = pred_design.index["units"].to_numpy(), pred_design.index["level"].to_numpy()
        known = ~np.isnan(y)
        scores = pd.DataFrame({str(self.quantiles.index(tau)): (y[known] - raw[known, j]) / level[known]
                               for j, tau in enumerate(levels)})
        return pd.concat([scores, midpoint_errors(pred_design.index, raw[:, 0], raw[:, -1])], axis=1)

    def final_predictions(self, scores: pd.DataFrame | None) -> pd.DataFrame:
        """Forecasts for the `horizon` weeks after each series' own last actual week, by every
        series-level model: the global model fitted on every known target (P10/P90 calibrated
        with `scores`), seasonal naive, and the WLS-reconciled global model when configured.
        A series whose data end a week early is forecast from its own last week; the others
        keep theirs."""
        idx = self.design.index
        train = self.design.training(~np.isnan(self.design.y), *train_cap(self.cfg["global_model"]))
        own_origin = idx["series_id"].map(self.series_last_week)
        pred_design = self.design.subset((idx["origin_week"] == own_origin).to_numpy())
        glob, _ = self._global(train, pred_design, scores)
        snaive = seasonal_naive(pred_design, self.panel, self.series_last_week.max(), self.quantiles, self.season)
        series = [glob, self._frame(pred_design, SNAIVE, snaive)]
        if self.cfg["reconciliation"]["method"] == "wls_scale":
            series.append(self._reconciled(glob, self._country_forecasts(self.last_week)))
        return pd.concat(series, ignore_index=True)

    @property
    def calibrate_levels(self) -> list[float]:
        return [float(q) for q in self.cfg.get("calibration", {}).get("quantiles", [])]

    def _frame(self, design: Design, model: str, q: np.ndarray) -> pd.DataFrame:
        out = design.index[["series_id", "country_id", "market_id", "retailer_id", "origin_week", "week_start", "horizon", "units"]].copy()
        out["level"] = "series"
        out["model"] = model
        out[["p10", "p50", "p90"]] = q
        out["mase_scale"] = out["series_id"].map(self.scale).to_numpy()
        out["level_units"] = design.index["level"].to_numpy()
        return out[PRED_COLUMNS + ["level_units"]]

    def _country_history(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        hist = self.panel.loc[(self.panel["week_start"] <= cutoff) & self.panel["units"].notna()]
        return hist.groupby(["country_id", "week_start"])["units"].sum().reset_index()

    def _country_forecasts(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        """statsmodels Holt-Winters on each country's total units (the national base forecast)."""
        hist = self._country_history(cutoff)
        actual = self._country_history(self.last_week).set_index(["country_id", "week_start"])["units"]
        frames = []
        for country_id, h in hist.groupby("country_id"):
            q = holt_winters(h["units"].reset_index(drop=True), self.horizon, self.quantiles, self.season,
                             initialization_method=self.cfg["baseline"].get("ets_initialization", "heuristic"))
            weeks = cutoff + pd.to_timedelta(7 * np.arange(1, self.horizon + 1), unit="D")
            f = pd.DataFrame({"series_id": f"country:{country_id}", "country_id": country_id, "market_id": None,
                              "retailer_id": None, "origin_week": cutoff, "week_start": weeks,
                              "horizon": np.arange(1, self.horizon + 1), "level": "country", "model": ETS})
            f[["p10", "p50", "p90"]] = q
            f["units"] = actual.reindex(pd.MultiIndex.from_arrays([f["country_id"], f["week_start"]])).to_numpy()
            f["mase_scale"] = self.country_scale.get(country_id, np.nan)
            frames.append(f[PRED_COLUMNS])
        return pd.concat(frames, ignore_index=True)

    def _bottom_up(self, series: pd.DataFrame, together: dict | None = None) -> pd.DataFrame:
        """Country totals of each series-level model: P50 summed; P10/P90 half-widths combined as
        the series' past errors moved together (`aggregation.sum_quantiles`, factor `together`),
        as the coherent national forecast."""
        out = sum_quantiles(series, ["country_id", "model", "origin_week", "week_start", "horizon"], ["units"],
                            together)
        out.loc[out["week_start"] > self.last_week, "units"] = np.nan
        out["level"] = "country"
        out["series_id"] = "country:" + out["country_id"].astype(str)
        out["market_id"] = None
        out["retailer_id"] = None
        out["mase_scale"] = out["country_id"].map(self.country_scale)
        return out[PRED_COLUMNS]

    def _reconciled(self, global_fc: pd.DataFrame, country: pd.DataFrame) -> pd.DataFrame:
        """Global series forecasts reconciled with the country ETS forecast (WLS, variances = scale^2)."""
        out = global_fc.copy()
        out["model"] = RECONCILED
        var_b = out["series_id"].map(self.scale_sq).to_numpy()
        ctry = country.set_index(["country_id", "week_start"])
        for (country_id, week), rows in out.groupby(["country_id", "week_start"]).groups.items():
            total = ctry.at[(country_id, week), "p50"]
            var_t = float(np.sum(var_b[out.index.get_indexer(rows)]))
            pos = out.index.get_indexer(rows)
            new = wls_two_level(total, out["p50"].to_numpy()[pos], var_t, var_b[pos])
            shift = new - out["p50"].to_numpy()[pos]
            for col in ("p10", "p50", "p90"):
                out.loc[rows, col] = np.clip(out.loc[rows, col].to_numpy() + shift, 0, None)
        return out


def conformity_scores(frame: pd.DataFrame, raw: np.ndarray, level: np.ndarray) -> pd.DataFrame:
    """Scaled errors (y - q_tau) / L of the uncalibrated quantiles, one column per level, rows with
    actuals; beside them each row's midpoint error (`aggregation.midpoint_errors`: country totals'
    intervals read how series errors move together from these)."""
    y = frame["units"].to_numpy()
    known = ~np.isnan(y)
    scores = pd.DataFrame((y[:, None] - raw)[known] / level[known, None], columns=[str(i) for i in range(raw.shape[1])])
    return pd.concat([scores, midpoint_errors(frame, raw[:, 0], raw[:, -1])], axis=1)


def calibrate(raw: np.ndarray, level: np.ndarray, scores: pd.DataFrame | None, quantiles: list[float],
              levels: list[float], method: str = "shift") -> np.ndarray:
    """Conformal calibration of quantile forecasts from earlier origins' out-of-sample scores
    ``s_tau = (y - q_tau) / L``. Levels not in `levels` (the median) stay as fitted.

    ``method="shift"``: each level on its own, ``q'_tau = q_tau + L * Q_tau(s_tau)``, so that a
    share tau of past actuals fell below the shifted quantile (one-sided; a bound can move inward
    when past errors all leaned the other way).
    ``method="cqr"``: conformalized quantile regression (Romano, Patterson and Candes 2019) for the
    interval of the two levels: ``E = max(q_lo - y, y - q_hi) / L``, both bounds widened by
    ``L * Q`` with ``Q`` the ``k``-th smallest ``E``, ``k = ceil((n + 1)(hi - lo))``. A regime
    change that pushes errors one way widens the interval on both sides instead of moving the
    far bound inward."""
    out = raw.copy()
    if scores is None or len(scores) == 0:
        return out
    if method == "cqr":
        lo, hi = sorted(levels)
        j_lo, j_hi = quantiles.index(lo), quantiles.index(hi)
        e = np.maximum(-scores[str(j_lo)].to_numpy(), scores[str(j_hi)].to_numpy())
        n = len(e)
        k = min(n, int(np.ceil((n + 1) * (hi - lo) - 1e-9)))   # the k-th smallest score
        q = float(np.sort(e)[k - 1])
        out[:, j_lo] = raw[:, j_lo] - level * q
        out[:, j_hi] = raw[:, j_hi] + level * q
        return finalize(out)
    if method != "shift":
        raise ValueError(f"calibration.method must be 'shift' or 'cqr', not {method!r}")
    for j, tau in enumerate(quantiles):
        if tau in levels:
            out[:, j] = raw[:, j] + level * float(np.quantile(scores[str(j)], tau))
    return finalize(out)


def check_history(stage: Stage, backtest: bool) -> None:
    """ValueError naming the minimum (`inputs.min_history_weeks`) when a series has fewer weeks of
    units than the backtest (or, forecast-only, the interval calibration) needs; without it the
    failure surfaces as an opaque array-shape error inside the fits."""
    need = min_history_weeks(stage.cfg, backtest)
    have = stage.panel.loc[stage.panel["units"].notna()].groupby("series_id").size()
    short = have[have < need]
    if len(short):
        raise ValueError(f"{len(short)} series have fewer than the {need} weeks of history the forecast needs "
                         f"(one season + one horizon + the calibration origins{' + the backtest weeks' if backtest else ''}), "
                         f"e.g. {short.index[0]!r} with {int(short.iloc[0])}")


def _quiet(message: str) -> None:
    """The default progress sink: say nothing."""


def calibration_scores(stage: Stage, last_origin: pd.Timestamp, progress=_quiet) -> list[pd.DataFrame]:
    """Conformity scores of the `warmup_origins` origins, `step_weeks` apart, the latest at
    `last_origin` (only the calibrated levels are fitted there)."""
    step = pd.Timedelta(weeks=int(stage.cfg["backtest"]["step_weeks"]))
    n_cal = int(stage.cfg.get("calibration", {}).get("warmup_origins", 1)) if stage.calibrate_levels else 0
    out = []
    for k in range(n_cal - 1, -1, -1):
        progress(f"calibration origin {n_cal - k}/{n_cal} ({(last_origin - k * step).date()})")
        out.append(stage.fit_predict(last_origin - k * step, global_only=True)[1])
    return out


def backtest_predictions(features: pd.DataFrame, cfg: dict | None = None, stage: Stage | None = None,
                         progress=_quiet) -> pd.DataFrame:
    """Rolling-origin backtest: at each origin (every `step_weeks` over the last `weeks`
    actual weeks) fit on weeks <= origin and forecast the next `horizon` weeks.
    `progress(message)` is called before each fit."""
    stage = stage or Stage(features, cfg or load_config())
    check_history(stage, backtest=True)
    # calibration origins before the first reported one seed the conformal scores
    step = pd.Timedelta(weeks=int(stage.cfg["backtest"]["step_weeks"]))
    scores = calibration_scores(stage, stage.origins[0] - step, progress)
    frames = []
    for i, origin in enumerate(stage.origins, 1):
        progress(f"backtest origin {i}/{len(stage.origins)} ({origin.date()})")
        frame, score = stage.fit_predict(origin, pd.concat(scores, ignore_index=True) if scores else None)
        frames.append(frame)
        scores.append(score)
    pred = pd.concat(frames, ignore_index=True)
    pred = pred.loc[pred["week_start"] <= stage.last_week]
    return pred.sort_values(["level", "series_id", "model", "origin_week", "week_start"]).reset_index(drop=True)


def predictions(features: pd.DataFrame, cfg: dict, progress=_quiet) -> pd.DataFrame:
    """Backtest and final predictions of every model in one frame (`prediction_kind`
    'backtest' or 'forecast'): all the fitting the stage does, which the dbt model
    `forecast_prediction_cache` stores once per input fingerprint."""
    stage = Stage(features, cfg)
    backtest = backtest_predictions(features, cfg, stage, progress)
    final = final_predictions(stage, backtest, progress)
    return pd.concat([backtest.assign(prediction_kind="backtest"), final.assign(prediction_kind="forecast")],
                     ignore_index=True)


def backtest_metrics(pred: pd.DataFrame) -> pd.DataFrame:
    """Per series and overall metrics by model (see `metrics`)."""
    scale = pred.drop_duplicates("series_id").set_index("series_id")["mase_scale"]
    return metrics.backtest_metrics(pred, scale)


def choose_models(bt_metrics: pd.DataFrame) -> pd.DataFrame:
    """Per series: the series-level model with the lowest backtest MASE (ties go to the
    global model), with every candidate's MASE side by side."""
    m = bt_metrics.loc[(bt_metrics["level"] == "series") & (bt_metrics["series_id"] != "__overall__")]
    wide = m.pivot(index="series_id", columns="model", values="mase")
    order = [GLOBAL] + sorted(c for c in wide.columns if c != GLOBAL)
    wide = wide[order]
    chosen = wide.idxmin(axis=1, skipna=True)
    out = pd.DataFrame({"series_id": wide.index, "chosen_model": chosen.to_numpy(),
                        "chosen_mase": wide.min(axis=1).to_numpy()})
    for col in order:
        out[f"mase_{col}"] = wide[col].to_numpy()
    keys = out["series_id"].str.split("|", n=1, expand=True)
    out.insert(1, "market_id", keys[0])
    out.insert(2, "retailer_id", keys[1])
    out["selection_rule"] = "lowest backtest MASE"
    return out


def series_cost_table(panel_or_features: pd.DataFrame, series_costs: pd.DataFrame | None, cfg: dict) -> pd.DataFrame:
    """market_id, retailer_id, unit_margin_usd, unit_holding_cost_usd, critical_fractile for every series."""
    keys = panel_or_features[["market_id", "retailer_id"]].drop_duplicates()
    if series_costs is not None and len(series_costs):
        keys = keys.merge(series_costs[["market_id", "retailer_id", "unit_margin_usd", "unit_holding_cost_usd"]],
                          on=["market_id", "retailer_id"], how="left")
    else:
        keys = keys.assign(unit_margin_usd=np.nan, unit_holding_cost_usd=np.nan)
    m = cfg["money"]
    keys["unit_margin_usd"] = keys["unit_margin_usd"].astype(float).fillna(float(m["default_unit_margin_usd"]))
    keys["unit_holding_cost_usd"] = keys["unit_holding_cost_usd"].astype(float).fillna(float(m["default_unit_holding_cost_usd"]))
    keys["critical_fractile"] = money.critical_fractile(keys["unit_margin_usd"], keys["unit_holding_cost_usd"])
    keys["series_id"] = keys["market_id"].astype(str) + "|" + keys["retailer_id"].astype(str)
    return keys.reset_index(drop=True)


def add_stocking(frame: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """Adds unit costs, critical_fractile and stocking_units = q(tau) from P10/P50/P90."""
    out = frame.merge(costs[["series_id", "unit_margin_usd", "unit_holding_cost_usd", "critical_fractile"]], on="series_id", how="left")
    out["stocking_units"] = money.quantile_at(out["critical_fractile"], out["p10"], out["p50"], out["p90"])
    return out


def backtest_cost(pred: pd.DataFrame, choice: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """Dollar cost of error of the chosen model per series and overall: stocking the P50
    versus stocking the critical-fractile quantile, and the saving."""
    s = pred.loc[pred["level"] == "series"].merge(choice[["series_id", "chosen_model"]], on="series_id")
    s = add_stocking(s.loc[s["model"] == s["chosen_model"]], costs)
    s["cost_median_usd"] = money.newsvendor_cost(s["p50"], s["units"], s["unit_margin_usd"], s["unit_holding_cost_usd"])
    s["cost_quantile_policy_usd"] = money.newsvendor_cost(s["stocking_units"], s["units"], s["unit_margin_usd"], s["unit_holding_cost_usd"])
    g = s.groupby(["series_id", "market_id", "retailer_id"], sort=True)
    out = g.agg(model=("model", "first"), critical_fractile=("critical_fractile", "first"),
                unit_margin_usd=("unit_margin_usd", "first"), unit_holding_cost_usd=("unit_holding_cost_usd", "first"),
                n_forecasts=("units", "size"), units_actual=("units", "sum"),
                cost_median_usd=("cost_median_usd", "sum"), cost_quantile_policy_usd=("cost_quantile_policy_usd", "sum")).reset_index()
    total = pd.DataFrame([{"series_id": "__overall__", "market_id": None, "retailer_id": None, "model": "chosen",
                           "critical_fractile": np.nan, "unit_margin_usd": np.nan, "unit_holding_cost_usd": np.nan,
                           "n_forecasts": int(out["n_forecasts"].sum()), "units_actual": out["units_actual"].sum(),
                           "cost_median_usd": out["cost_median_usd"].sum(),
                           "cost_quantile_policy_usd": out["cost_quantile_policy_usd"].sum()}])
    out = pd.concat([out, total], ignore_index=True)
    out["saving_usd"] = out["cost_median_usd"] - out["cost_quantile_policy_usd"]
    out["saving_pct"] = out["saving_usd"] / out["cost_median_usd"]
    return out


def backtest_scores(pred: pd.DataFrame, quantiles: list[float]) -> pd.DataFrame:
    """Conformity scores of the global model's uncalibrated quantiles over all backtest origins."""
    g = pred.loc[(pred["level"] == "series") & (pred["model"] == GLOBAL) & pred["units"].notna()]
    level = g["level_units"].to_numpy()

    def uncalibrated(tau: float) -> np.ndarray:
        name = f"{QCOL[tau]}_uncalibrated"
        return (g[name] if name in g else g[QCOL[tau]]).to_numpy()

    cols = {str(j): (g["units"].to_numpy() - uncalibrated(tau)) / level for j, tau in enumerate(quantiles)}
    errors = midpoint_errors(g, uncalibrated(min(quantiles)), uncalibrated(max(quantiles)))
    return pd.concat([pd.DataFrame(cols), errors], axis=1)


def forecast_scores(stage: Stage, backtest: pd.DataFrame | None = None, progress=_quiet) -> pd.DataFrame | None:
    """The out-of-sample scores (and midpoint errors) the final forecast is calibrated on: every
    backtest origin's; without a backtest, the `warmup_origins` origins before the last common week."""
    if backtest is not None:
        return backtest_scores(backtest, stage.quantiles)
    check_history(stage, backtest=False)
    # the latest origins whose whole horizon has actuals
    found = calibration_scores(stage, stage.last_week - pd.Timedelta(weeks=stage.horizon), progress)
    return pd.concat(found, ignore_index=True) if found else None


def final_predictions(stage: Stage, backtest: pd.DataFrame | None = None, progress=_quiet,
                      scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every series-level model's forecasts from each series' own last week (`Stage.final_predictions`),
    the global model's P10/P90 calibrated on `scores` (:func:`forecast_scores` when not given)."""
    if scores is None:
        scores = forecast_scores(stage, backtest, progress)
    progress(f"final fit and forecast ({stage.horizon} weeks)")
    return stage.final_predictions(scores)


def choose_forecasts(final: pd.DataFrame, choice: pd.DataFrame | None, costs: pd.DataFrame) -> pd.DataFrame:
    """Each series' forecasts by its chosen model (the global model where no choice is
    recorded), with stocking quantities at the critical fractile."""
    series = final.loc[final["level"] == "series"]
    chosen = (choice.set_index("series_id")["chosen_model"] if choice is not None else pd.Series(dtype=object))
    pick = series["series_id"].map(chosen).fillna(GLOBAL)
    out = series.loc[series["model"].to_numpy() == pick.to_numpy()]
    out = out.drop(columns=[c for c in out.columns if c in ("units", "level", "mase_scale", "level_units") or c.endswith("_uncalibrated")])
    out = add_stocking(out, costs)
    out = out.rename(columns={"origin_week": "forecast_origin_week"})
    return out.sort_values(["market_id", "retailer_id", "week_start"]).reset_index(drop=True)


def national_forecast(forecast: pd.DataFrame, errors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Country totals of the series forecasts (coherent by construction): P50 and stocking summed;
    P10/P90 half-widths combined as the global model's out-of-sample series errors (`errors`:
    :func:`forecast_scores`, the backtest's or the warm-up origins') moved together
    (`aggregation`; independent without any). The origin is the country's latest series
    origin; when series end on different weeks, `n_series` says how many forecasts a week sums."""
    together = correlation_factor(errors)
    out = sum_quantiles(forecast, ["country_id", "week_start"], ["stocking_units"], together)
    out["forecast_origin_week"] = out["country_id"].map(forecast.groupby("country_id")["forecast_origin_week"].max())
    out = out.loc[out["week_start"] > out["forecast_origin_week"]].reset_index(drop=True)
    out["horizon"] = ((out["week_start"] - out["forecast_origin_week"]).dt.days // 7).astype("int64")
    out["n_series"] = forecast.groupby(["country_id", "week_start"])["series_id"].nunique().reindex(
        pd.MultiIndex.from_frame(out[["country_id", "week_start"]])).to_numpy()
    return out[["country_id", "forecast_origin_week", "week_start", "horizon", "n_series", "p10", "p50", "p90", "stocking_units"]]


def feature_drift(features: pd.DataFrame, cfg: dict | None = None) -> pd.DataFrame:
    cfg = cfg or load_config()
    panel = prepare_panel(features)
    h = cfg["health"]
    return health.feature_drift(panel, last_actual_week(panel), int(h["drift_window_weeks"]), int(h["psi_bins"]), float(h["psi_warn"]),
                                h.get("drift_exclude"))


def accuracy_over_time(pred: pd.DataFrame, cfg: dict | None = None) -> pd.DataFrame:
    cfg = cfg or load_config()
    scale = pred.drop_duplicates("series_id").set_index("series_id")["mase_scale"]
    return health.accuracy_over_time(pred, scale, float(cfg["health"]["accuracy_drop_ratio_warn"]))


def run_record(features: pd.DataFrame, bt_metrics: pd.DataFrame, choice: pd.DataFrame, cost: pd.DataFrame,
               drift: pd.DataFrame, accuracy: pd.DataFrame, forecast: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """One registry row for this forecast run; run_id hashes the inputs' shape, last week and config."""
    overall = bt_metrics.loc[(bt_metrics["series_id"] == "__overall__") & (bt_metrics["level"] == "series")].set_index("model")
    total_cost = cost.loc[cost["series_id"] == "__overall__"].iloc[0]
    last_week = pd.Timestamp(forecast["forecast_origin_week"].max())
    fingerprint = json.dumps({"cfg": cfg, "rows": int(len(features)), "last_week": str(last_week),
                              "units_sum": float(pd.to_numeric(features["units"], errors="coerce").sum())}, sort_keys=True, default=str)
    latest = accuracy.loc[accuracy["model"] == GLOBAL].sort_values("origin_week").tail(1)
    reused = "reuse_count" in forecast and bool((forecast["reuse_count"] > 0).any())
    row = {
        "run_id": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
        "run_at": pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s"),
        "forecast_origin_week": last_week,
        "horizon_weeks": int(cfg["horizon"]),
        "n_series": int(forecast["series_id"].nunique()),
        "n_forecast_rows": int(len(forecast)),
        "n_backtest_origins": int(accuracy["origin_week"].nunique()),
        "models_chosen": json.dumps(choice["chosen_model"].value_counts().sort_index().to_dict()),
        "mase_global_hgb": float(overall.at[GLOBAL, "mase"]),
        "mase_seasonal_naive": float(overall.at[SNAIVE, "mase"]),
        "mase_improvement_vs_seasonal_naive": float(1 - overall.at[GLOBAL, "mase"] / overall.at[SNAIVE, "mase"]),
        "coverage_80_global_hgb": float(overall.at[GLOBAL, "coverage_80"]),
        "wape_global_hgb": float(overall.at[GLOBAL, "wape"]),
        "cost_median_usd": float(total_cost["cost_median_usd"]),
        "cost_quantile_policy_usd": float(total_cost["cost_quantile_policy_usd"]),
        "saving_usd": float(total_cost["saving_usd"]),
        "n_features_drifted": int(drift["is_drifted"].sum()) if len(drift) else 0,
        "is_latest_accuracy_drop": bool(latest["is_accuracy_drop"].iloc[0]) if len(latest) else False,
        "config_json": json.dumps(cfg, sort_keys=True),
        # from forecast_prediction_cache: 'reused' when this build found its inputs' predictions there
        "input_fingerprint": forecast["input_fingerprint"].iloc[0] if "input_fingerprint" in forecast else None,
        "predictions_status": "reused" if reused else "recomputed",
    }
    return pd.DataFrame([row])


def run_forecasting(features: pd.DataFrame, series_costs: pd.DataFrame | None = None, cfg: dict | None = None,
                    backtest: bool = True, progress=_quiet) -> dict:
    """The whole stage in one call: every output table plus `timings_s`.

    ``backtest=False`` (forecast only) skips the backtest and everything scored on it
    (metrics, model choice, cost, accuracy over time, run record: returned as None); every
    series gets the global model, its P10/P90 calibrated on the warm-up origins before
    the last common week."""
    cfg = cfg or load_config()
    timings = {}
    t0, cpu0 = time.perf_counter(), time.process_time()
    stage = Stage(features, cfg)
    timings["prepare"] = time.perf_counter() - t0
    out = dict.fromkeys(["backtest_predictions", "backtest_metrics", "model_choice", "backtest_cost",
                         "accuracy_over_time", "runs"])
    costs = series_cost_table(stage.panel, series_costs, cfg)
    if backtest:
        t = time.perf_counter()
        out["backtest_predictions"] = backtest_predictions(features, cfg, stage, progress)
        timings["backtest"] = time.perf_counter() - t
        out["backtest_metrics"] = backtest_metrics(out["backtest_predictions"])
        out["model_choice"] = choose_models(out["backtest_metrics"])
        out["backtest_cost"] = backtest_cost(out["backtest_predictions"], out["model_choice"], costs)
    t = time.perf_counter()
    scores = forecast_scores(stage, out["backtest_predictions"], progress)
    final = final_predictions(stage, progress=progress, scores=scores)
    out["forecast"] = choose_forecasts(final, out["model_choice"], costs)
    timings["forecast"] = time.perf_counter() - t
    out["national"] = national_forecast(out["forecast"], scores)
    out["feature_drift"] = feature_drift(features, cfg)
    if backtest:
        out["accuracy_over_time"] = accuracy_over_time(out["backtest_predictions"], cfg)
        out["runs"] = run_record(features, out["backtest_metrics"], out["model_choice"], out["backtest_cost"],
                                 out["feature_drift"], out["accuracy_over_time"], out["forecast"], cfg)
    timings["total"] = time.perf_counter() - t0
    # CPU seconds of this process: on a shared machine the wall time also counts
    # waiting for a core; CPU time is what the stage costs on an idle one
    timings["cpu_total"] = time.process_time() - cpu0
    return {**out, "timings_s": timings}


def product_forecast(forecast: pd.DataFrame, sales: pd.DataFrame, products: pd.DataFrame, share_weeks: int = 13) -> pd.DataFrame:
    """Product forecasts by top-down proportions: each series' P10/P50/P90 times the product's share
    of the series' units over its last `share_weeks` observed weeks, with the product's own
    critical fractile and stocking quantity. Product P50s add up to the series P50."""
    sales = sales.assign(week_start=pd.to_datetime(sales["week_start"]))
    recent = sales.loc[sales["week_start"] > sales["week_start"].max() - pd.Timedelta(weeks=share_weeks)]
    units = recent.groupby(["market_id", "retailer_id", "product_id"])["units"].sum().reset_index()
    units["product_share"] = units["units"] / units.groupby(["market_id", "retailer_id"])["units"].transform("sum")
    units = units.loc[units["product_share"] > 0, ["market_id", "retailer_id", "product_id", "product_share"]]
    out = forecast[["market_id", "retailer_id", "country_id", "forecast_origin_week", "week_start", "horizon",
                    "model", "p10", "p50", "p90"]].merge(units, on=["market_id", "retailer_id"], how="inner")
    for col in ("p10", "p50", "p90"):
        out[col] = out[col] * out["product_share"]
    out = out.merge(products[["product_id", "unit_margin_usd", "unit_holding_cost_usd"]], on="product_id", how="left")
    out["critical_fractile"] = money.critical_fractile(out["unit_margin_usd"], out["unit_holding_cost_usd"])
    out["stocking_units"] = money.quantile_at(out["critical_fractile"], out["p10"], out["p50"], out["p90"])
    return out.sort_values(["market_id", "retailer_id", "product_id", "week_start"]).reset_index(drop=True)
