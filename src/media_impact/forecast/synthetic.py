"""Synthetic weekly demand panels shaped like `marts.forecast_features_weekly`.

For the package's tests and the benchmark's scaling curve: the truth is known
(a series' expected units and its noise law), so accuracy and interval tests
compare against it. The lag and rolling columns mirror the SQL mart's
definitions (lags of units; rolling means over the current and preceding weeks).

Expected units of series i in week t:
    mu_it = level_i * (1 + g_i)^(t/52) * (1 + a_i sin(2 pi woy/52 + phi_r))
            * (1 + b_r * holiday_t) * (1 + e_i * spend_it / mean_spend_i)
and units ~ Poisson(mu_it * noise), noise lognormal with sd `noise_sd`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from media_impact.forecast.panel import add_lag_features

RETAILERS = ("amazon", "walmart", "target")


def holiday_weeks(weeks: pd.DatetimeIndex) -> np.ndarray:
    """1 for the week holding US Thanksgiving (fourth Thursday of November) and the week before Christmas."""
    flags = np.zeros(len(weeks))
    for i, week in enumerate(weeks):
        days = pd.date_range(week, periods=7, freq="D")
        thanksgiving = any(d.month == 11 and d.weekday() == 3 and 22 <= d.day <= 28 for d in days)
        christmas = any(d.month == 12 and 18 <= d.day <= 24 for d in days)
        flags[i] = float(thanksgiving or christmas)
    return flags


def make_panel(
    n_markets: int = 20,
    n_weeks: int = 208,
    horizon_future: int = 0,
    noise_sd: float = 0.12,
    seed: int = 0,
    start: str = "2022-01-03",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features, truth): a mart-shaped feature table and the expected units `mu` per row.

    `horizon_future` appends that many weeks with null units and known planned spend.
    """
    rng = np.random.default_rng(seed)
    total = n_weeks + horizon_future
    weeks = pd.date_range(start, periods=total, freq="7D")
    woy = weeks.isocalendar().week.to_numpy().astype(float)
    hol = holiday_weeks(weeks)
    t = np.arange(total)
    frames, truths = [], []
    for m in range(n_markets):
        country = "us" if m < max(1, int(n_markets * 0.8)) else "ca"
        market_id = f"{country}_market_{m:03d}"
        market_size = rng.lognormal(5.0, 0.8)
        econ = 100 + np.cumsum(rng.normal(0, 0.3, total))
        for r, retailer in enumerate(RETAILERS):
            level = market_size * (1.6, 1.0, 0.7)[r] * rng.lognormal(0, 0.2)
            growth = rng.normal(0.05, 0.08)
            amp = rng.uniform(0.1, 0.35)
            phase = (0.0, 0.6, 1.2)[r]
            hol_lift = (0.6, 0.4, 0.5)[r]
            spend_base = level * rng.uniform(0.5, 2.0)
            spend = spend_base * np.clip(1 + 0.5 * np.sin(2 * np.pi * t / 26 + rng.uniform(0, 6)) + rng.normal(0, 0.3, total), 0, None)
            effect = rng.uniform(0.05, 0.2)
            mu = (
                level
                * (1 + growth) ** (t / 52)
                * (1 + amp * np.sin(2 * np.pi * woy / 52 + phase))
                * (1 + hol_lift * hol)
                * (1 + effect * spend / spend_base)
            )
            units = rng.poisson(mu * rng.lognormal(-noise_sd**2 / 2, noise_sd, total)).astype(float)
            units[n_weeks:] = np.nan
            frames.append(pd.DataFrame({
                "week_start": weeks, "market_id": market_id, "retailer_id": retailer,
                "country_id": country, "units": units, "week_of_year": woy,
                "is_holiday_week": hol, "economic_index": econ,
                "planned_spend_usd": spend,
            }))
            truths.append(pd.DataFrame({"week_start": weeks, "market_id": market_id, "retailer_id": retailer, "mu": mu}))
    features = add_lag_features(pd.concat(frames, ignore_index=True))
    return features, pd.concat(truths, ignore_index=True)


def example_files(n_markets: int = 4, n_weeks: int = 156, horizon: int = 13, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sales, truth): the bring-your-own-data example of `examples/forecast/`.

    sales: a long weekly file as a user would bring it, one row per series and week:
    series, country, week (ISO date), units (empty in the `horizon` future weeks),
    planned_spend and holiday (known in the future too). truth: the expected units
    `mu` of every future week, to compare the forecasts with.
    """
    features, truth = make_panel(n_markets=n_markets, n_weeks=n_weeks, horizon_future=horizon, seed=seed)
    series = features["market_id"].str.split("_").str[-1].radd("m") + "_" + features["retailer_id"]
    sales = pd.DataFrame({
        "series": series, "country": features["country_id"], "week": features["week_start"].dt.strftime("%Y-%m-%d"),
        "units": features["units"].map(lambda u: "" if np.isnan(u) else str(int(u))),
        "planned_spend": features["planned_spend_usd"].round(2), "holiday": features["is_holiday_week"].astype(int),
    })
    future = features["units"].isna().to_numpy()
    keyed = truth.merge(features[["week_start", "market_id", "retailer_id"]].assign(series=series, future=future),
                        on=["week_start", "market_id", "retailer_id"])
    keyed = keyed.loc[keyed["future"]]
    truth_out = pd.DataFrame({"series": keyed["series"], "week": keyed["week_start"].dt.strftime("%Y-%m-%d"),
                              "expected_units": keyed["mu"].round(3)})
    return sales.reset_index(drop=True), truth_out.sort_values(["series", "week"]).reset_index(drop=True)
