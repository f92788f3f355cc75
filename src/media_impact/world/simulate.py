"""The sample world's causal simulation: calendar, spend plan, baseline demand,
media effects, retailer/product split, and the counterfactual truth.

Weekly expected revenue of market m in week t (USD)::

    revenue_{t,m} = baseline_{t,m} + sum_c effect_{t,m,c}
    baseline_{t,m} = pop_k_m * base_per_1k_country * market_factor_m * (1+g)^(t/52)
                     * (1 + a*sin(2*pi*doy_t/365.25) + b*cos(2*pi*doy_t/365.25))
                     * prod(holiday multipliers of dates in week t)
                     * exp(b_econ*(econ_t-100) + b_infl*(infl_t-infl_ref) + b_unemp*(unemp_t-unemp_ref))
                     * exp(eps_{t,m}),  eps ~ N(0, sigma)
    effect_{t,m,c} = see effects.channel_effect_usd (geometric adstock + Hill)

Macro values are those of the month holding week_start. Media effects are
additive, so switching a channel off removes exactly its effect: the
counterfactual truth is computed by re-running the response with that
channel's spend set to zero (``revenue_without``), not by reading the effect.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .effects import channel_effect_usd, geometric_adstock
from .spec import build_markets, load_spec, rng_for


# ---------------------------------------------------------------- calendar
def holiday_dates(rule: str, year: int) -> date:
    """Date of a holiday rule in a year.

    Rules: 'fixed:MM-DD'; 'nth_weekday:MONTH:WEEKDAY:N' (N-th weekday, Monday=0);
    'last_weekday:MONTH:WEEKDAY'; 'thanksgiving_us:OFFSET' (4th Thursday of November
    plus OFFSET days); 'victoria_day' (last Monday before May 25).
    """
    kind, _, arg = rule.partition(":")
    if kind == "fixed":
        month, day = (int(x) for x in arg.split("-"))
        return date(year, month, day)
    if kind == "nth_weekday":
        month, weekday, n = (int(x) for x in arg.split(":"))
        first = date(year, month, 1)
        offset = (weekday - first.weekday()) % 7
        return first + timedelta(days=offset + 7 * (n - 1))
    if kind == "last_weekday":
        month, weekday = (int(x) for x in arg.split(":"))
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    if kind == "thanksgiving_us":
        first = date(year, 11, 1)
        thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
        return thursday + timedelta(days=int(arg))
    if kind == "victoria_day":
        d = date(year, 5, 24)
        return d - timedelta(days=d.weekday())
    raise ValueError(f"unknown holiday rule {rule!r}")


def walmart_fiscal_year_start(fiscal_year: int) -> date:
    """Walmart fiscal year N starts on the Saturday on or before Feb 1 of year N-1 (this world's rule)."""
    feb1 = date(fiscal_year - 1, 2, 1)
    return feb1 - timedelta(days=(feb1.weekday() - 5) % 7)


def ar1_lognormal(rng: np.random.Generator, n: int, rho: float, sigma: float, size: int = 1) -> np.ndarray:
    """exp(x_t) with x_t = rho*x_{t-1} + sigma*e_t, started at stationarity; shape (n, size)."""
    shocks = rng.normal(0.0, sigma, (n, size))
    x = np.empty((n, size))
    x[0] = shocks[0] / np.sqrt(1.0 - rho**2)
    for t in range(1, n):
        x[t] = rho * x[t - 1] + shocks[t]
    return np.exp(x - 0.5 * sigma**2 / (1.0 - rho**2))


@dataclass
class World:
    """Everything the feeds and the truth are written from (all money in USD)."""

    spec: dict
    scale: int
    seed: int
    weeks: pd.DatetimeIndex
    markets: pd.DataFrame
    channels: pd.DataFrame
    retailers: pd.DataFrame
    products: pd.DataFrame
    holidays: pd.DataFrame
    macro_monthly: pd.DataFrame
    fx_weekly: pd.Series
    spend_always_on: np.ndarray  # (weeks, markets, channels)
    spend_launch: np.ndarray  # (weeks, markets, channels)
    geo_withheld: np.ndarray  # (weeks, markets) ctv spend withheld by the geo test
    effect_max: np.ndarray  # (markets, channels) USD per 1k pop per week
    baseline: np.ndarray  # (weeks, markets) expected baseline revenue
    retailer_share: np.ndarray  # (markets, retailers)

    @property
    def spend(self) -> np.ndarray:
        return self.spend_always_on + self.spend_launch

    @property
    def population_k(self) -> np.ndarray:
        return self.markets["population_k"].to_numpy(float)

    def country_mask(self, country_id: str) -> np.ndarray:
        return (self.markets["country_id"] == country_id).to_numpy()

    # ---------------------------------------------------------------- response
    def channel_effects(self, spend: np.ndarray | None = None) -> np.ndarray:
        """Weekly revenue effect per (week, market, channel) for a spend array (default: actual)."""
        spend = self.spend if spend is None else spend
        max_lag = int(self.spec["media"]["adstock_max_lag_weeks"])
        out = np.zeros_like(spend)
        for k, ch in enumerate(self.channels.itertuples()):
            out[:, :, k] = channel_effect_usd(
                spend[:, :, k], self.population_k, ch.adstock_decay, max_lag, ch.half_sat, ch.slope, self.effect_max[:, k]
            )
        return out

    def expected_revenue(self, spend: np.ndarray | None = None) -> np.ndarray:
        """Expected weekly revenue per (week, market) = baseline + sum of channel effects."""
        return self.baseline + self.channel_effects(spend).sum(axis=2)

    def revenue_without(self, channel_id: str, country_id: str | None = None) -> np.ndarray:
        """Counterfactual weekly revenue with one channel switched off for the whole window."""
        spend = self.spend.copy()
        k = self.channel_index(channel_id)
        if country_id is None:
            spend[:, :, k] = 0.0
        else:
            spend[:, self.country_mask(country_id), k] = 0.0
        return self.expected_revenue(spend)

    def channel_index(self, channel_id: str) -> int:
        return int(np.flatnonzero(self.channels["channel_id"].to_numpy() == channel_id)[0])


# ---------------------------------------------------------------- building
def _macro_monthly(spec: dict, months: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    """Monthly macro indicators per country: linear path from start to end plus AR(1) wiggle."""
    rows = []
    n = len(months)
    frac = np.linspace(0.0, 1.0, n)
    noise_sd = {"economic_index": 0.6, "inflation_rate": 0.18, "unemployment_rate": 0.07}
    for country_id in spec["countries"]:
        rng = rng_for(seed, f"macro_{country_id}")
        start, end = spec["baseline"]["macro_start"][country_id], spec["baseline"]["macro_end"][country_id]
        values = {}
        for name in ("economic_index", "inflation_rate", "unemployment_rate"):
            wiggle = np.log(ar1_lognormal(rng, n, 0.8, noise_sd[name] * 0.6)[:, 0]) / 0.6
            values[name] = np.round(start[name] + (end[name] - start[name]) * frac + wiggle, 2)
        rows.append(pd.DataFrame({"month_start": months, "country_id": country_id, **values}))
    return pd.concat(rows, ignore_index=True)


def _geo_steady_cells(geo: dict, weeks: pd.DatetimeIndex, markets: pd.DataFrame) -> np.ndarray:
    """(weeks, markets) mask of the geo test's markets during its pre and test periods (plus
    the adstock lag before), where every channel follows the national plan only
    (``hold_media_steady``): a test plan keeps the other media business-as-usual in test and
    control markets alike, or their differences would be read as the test's effect."""
    mask = np.zeros((len(weeks), len(markets)), dtype=bool)
    if not geo.get("hold_media_steady", False):
        return mask
    start = pd.Timestamp(geo["pre_start"]) - pd.Timedelta(weeks=int(geo.get("steady_lead_weeks", 0)))
    end = pd.Timestamp(geo["test_start"]) + pd.Timedelta(weeks=int(geo["test_weeks"]))
    rows = (weeks >= start) & (weeks < end)
    cols = markets.market_id.isin(list(geo["test_markets"]) + list(geo["control_markets"])).to_numpy()
    mask[np.ix_(rows, cols)] = True
    return mask


def build_world(scale: int = 1, seed: int = 20261122, spec: dict | None = None) -> World:
    """Simulate the whole world (deterministic in scale, seed and spec)."""
    spec = load_spec() if spec is None else spec
    first = pd.Timestamp(spec["window"]["first_week_start"])
    n_weeks = int(spec["window"]["n_weeks"])
    weeks = pd.date_range(first, periods=n_weeks, freq="7D")
    markets = build_markets(spec, scale, seed)
    channels = pd.DataFrame(spec["channels"])
    retailers = pd.DataFrame(spec["retailers"])
    products = pd.DataFrame(spec["products"])
    n_m, n_c = len(markets), len(channels)
    pop = markets["population_k"].to_numpy(float)
    country = markets["country_id"].to_numpy()
    countries = list(spec["countries"])
    base_pop = {c: sum(m["population_k"] for m in spec["markets"] if m["country_id"] == c) for c in countries}
    # budgets follow population so per-capita intensity (and ROI) stays put across scales
    pop_factor = {c: pop[country == c].sum() / base_pop[c] for c in countries}
    media = spec["media"]

    # ---------------- holidays
    # the calendar runs through the year after the window: forecasts and plans for the
    # weeks after the data need the holidays too (demand uses the window's only)
    years = range(first.year, (weeks[-1] + pd.Timedelta(days=6)).year + 2)
    hol_rows = []
    for country_id, hols in spec["holidays"].items():
        for h in hols:
            for y in years:
                d = holiday_dates(h["rule"], y)
                if weeks[0].date() <= d:
                    hol_rows.append(
                        dict(holiday_date=pd.Timestamp(d), country_id=country_id, holiday_name=h["holiday_name"], multiplier=h["multiplier"])
                    )
    holidays = pd.DataFrame(hol_rows).sort_values(["holiday_date", "country_id", "holiday_name"]).reset_index(drop=True)
    holidays["week_start"] = holidays["holiday_date"] - pd.to_timedelta(holidays["holiday_date"].dt.weekday, unit="D")

    # ---------------- macro and fx
    months = pd.date_range(first.replace(day=1), weeks[-1], freq="MS")
    macro = _macro_monthly(spec, months, seed)
    fx_spec = spec["fx"]
    rng = rng_for(seed, "fx")
    fx_path = np.linspace(fx_spec["usd_per_cad_start"], fx_spec["usd_per_cad_end"], n_weeks)
    fx_noise = np.cumsum(rng.normal(0.0, fx_spec["weekly_sigma"], n_weeks))
    fx_noise -= np.linspace(0, fx_noise[-1], n_weeks)  # pin the end so the path stays near its spec
    fx_weekly = pd.Series(np.round(fx_path + fx_noise, 4), index=weeks, name="usd_per_cad")

    # ---------------- always-on spend
    geo = spec["geo_experiment"]
    geo_steady = _geo_steady_cells(geo, weeks, markets)
    spend_ao = np.zeros((n_weeks, n_m, n_c))
    week_month = weeks.month.to_numpy()
    q4 = np.isin(week_month, [11, 12]).astype(float)
    for k, ch in enumerate(channels.itertuples()):
        for country_id in ch.countries:
            mask = country == country_id
            rng = rng_for(seed, f"spend_{ch.channel_id}_{country_id}")
            national = ar1_lognormal(rng, n_weeks, media["national_ar_rho"], media["national_ar_sigma"])[:, 0]
            national *= rng.random(n_weeks) >= ch.national_dark_week_prob
            idx = np.flatnonzero(mask)
            steady = geo_steady[:, idx]
            # market draws come from a stream per market so adding markets does not reshuffle others
            mult = np.empty(len(idx))
            local = np.empty((n_weeks, len(idx)))
            for j, mi in enumerate(idx):
                mrng = rng_for(seed, f"spend_{ch.channel_id}_{markets.market_id.iloc[mi]}")
                mult[j] = np.exp(mrng.normal(0.0, media["market_multiplier_sigma"]))
                local[:, j] = ar1_lognormal(mrng, n_weeks, media["market_ar_rho"], media["market_ar_sigma"])[:, 0]
                local[:, j] *= mrng.random(n_weeks) >= media["market_dark_week_prob"]
            # a geo test's markets follow the national plan only while it is read (no local flighting)
            local[steady] = 1.0
            # search follows Q4 demand (the realistic correlation with seasonality); others do not
            seasonal = 1.0 + (0.2 * q4 if ch.channel_group == "search" else 0.0)
            raw = pop[idx][None, :] * mult[None, :] * local * (national * seasonal)[:, None]
            budget = ch.annual_budget_usd * n_weeks / 52.0 * pop_factor[country_id]
            if country_id != "us":
                budget *= media["ca_budget_share"]
            spend_ao[:, idx, k] = raw * budget / raw.sum()

    # ---------------- geo holdout: ctv off in test markets for the test weeks
    geo_withheld = np.zeros((n_weeks, n_m))
    test_start = pd.Timestamp(geo["test_start"])
    in_test = (weeks >= test_start) & (weeks < test_start + pd.Timedelta(weeks=geo["test_weeks"]))
    k_geo = int(np.flatnonzero(channels.channel_id.to_numpy() == geo["channel_id"])[0])
    test_idx = np.flatnonzero(markets.market_id.isin(geo["test_markets"]).to_numpy())
    geo_withheld[np.ix_(in_test, test_idx)] = spend_ao[np.ix_(in_test, test_idx, [k_geo])][:, :, 0]
    spend_ao[np.ix_(in_test, test_idx, [k_geo])] = 0.0

    # ---------------- launch campaign
    launch = spec["launch_campaign"]
    spend_launch = np.zeros_like(spend_ao)
    l_start = int(np.flatnonzero(weeks == pd.Timestamp(launch["start_week"]))[0])
    shape = np.asarray(launch["weekly_shape"], float)
    shape /= shape.sum()
    country_share = {"us": 1.0 - launch["ca_share"], "ca": launch["ca_share"]}
    for country_id in countries:
        mask = country == country_id
        idx = np.flatnonzero(mask)
        eligible = channels[channels.countries.apply(lambda cs: country_id in cs)]
        shares = eligible.launch_share.to_numpy(float)
        shares /= shares.sum()
        for share, ch in zip(shares, eligible.itertuples()):
            if share <= 0:
                continue
            k = int(ch.Index)
            rng = rng_for(seed, f"launch_{ch.channel_id}_{country_id}")
            wgt = pop[idx] * np.exp(rng.normal(0.0, launch["market_sigma"], len(idx)))
            wgt = wgt[None, :] * np.exp(rng.normal(0.0, launch["market_sigma"], (len(shape), len(idx))))
            wgt = wgt * shape[:, None] / wgt.sum(axis=1, keepdims=True)
            total = launch["total_budget_usd"] * country_share[country_id] * share * pop_factor[country_id]
            spend_launch[l_start : l_start + len(shape), idx, k] = total * wgt

    # spend is reported in cents; coupons are quantised to whole redemptions below (feeds.py
    # uses the same unit cost), so the truth's spend equals what staging will add up
    spend_ao = np.round(spend_ao, 2)
    spend_launch = np.round(spend_launch, 2)

    # ---------------- baseline
    bl = spec["baseline"]
    t_years = np.arange(n_weeks) / 52.0
    doy = (weeks + pd.Timedelta(days=3)).dayofyear.to_numpy()
    season = 1.0 + bl["yearly_sin"] * np.sin(2 * np.pi * doy / 365.25) + bl["yearly_cos"] * np.cos(2 * np.pi * doy / 365.25)
    trend = (1.0 + bl["trend_growth_per_year"]) ** t_years
    baseline = np.zeros((n_weeks, n_m))
    macro_idx = macro.set_index(["country_id", "month_start"])
    week_month_start = weeks.to_period("M").to_timestamp()
    for country_id in countries:
        mask = country == country_id
        hol_mult = np.ones(n_weeks)
        for h in holidays[holidays.country_id == country_id].itertuples():
            hol_mult[weeks == h.week_start] *= h.multiplier
        mc = macro_idx.loc[country_id].reindex(week_month_start)
        ref = bl["macro_ref"][country_id]
        macro_mult = np.exp(
            bl["macro_b_econ"] * (mc["economic_index"].to_numpy() - 100.0)
            + bl["macro_b_inflation"] * (mc["inflation_rate"].to_numpy() - ref["inflation_rate"])
            + bl["macro_b_unemployment"] * (mc["unemployment_rate"].to_numpy() - ref["unemployment_rate"])
        )
        level = spec["countries"][country_id]["baseline_revenue_per_1k_pop_week_usd"]
        for mi in np.flatnonzero(mask):
            mrng = rng_for(seed, f"baseline_{markets.market_id.iloc[mi]}")
            factor = np.exp(mrng.normal(0.0, bl["market_factor_sigma"]))
            noise = np.exp(mrng.normal(0.0, bl["weekly_noise_sigma"], n_weeks))
            baseline[:, mi] = pop[mi] * level * factor * trend * season * hol_mult * macro_mult * noise

    # ---------------- retailer shares per market
    retailer_share = np.zeros((n_m, len(retailers)))
    for mi in range(n_m):
        mrng = rng_for(seed, f"retailer_share_{markets.market_id.iloc[mi]}")
        base = np.array([r.revenue_share.get(country[mi], 0.0) for r in retailers.itertuples()])
        share = base * np.exp(mrng.normal(0.0, 0.12, len(base)))
        retailer_share[mi] = share / share.sum()

    world = World(
        spec=spec, scale=scale, seed=seed, weeks=weeks, markets=markets, channels=channels, retailers=retailers,
        products=products, holidays=holidays, macro_monthly=macro, fx_weekly=fx_weekly,
        spend_always_on=spend_ao, spend_launch=spend_launch, geo_withheld=geo_withheld,
        effect_max=np.zeros((n_m, n_c)), baseline=baseline, retailer_share=retailer_share,
    )
    world.spend_always_on = quantise_coupons(world, spend_ao)
    world.spend_launch = quantise_coupons(world, spend_launch)
    calibrate_effect_max(world)
    return world


def coupon_unit_cost_local(spec: dict, country_id: str) -> float:
    """Cost of one coupon redemption in local currency: face value + clearing fee."""
    terms = spec["coupons"][country_id]
    return terms["face_value"] + terms["clearing_fee"]


def quantise_coupons(world: World, spend: np.ndarray) -> np.ndarray:
    """Coupon spend = whole redemptions x unit cost (local currency), converted with the week's fx."""
    spend = spend.copy()
    k = world.channel_index("digital_coupons")
    for country_id in world.spec["countries"]:
        mask = world.country_mask(country_id)
        fx = world.fx_weekly.to_numpy()[:, None] if country_id == "ca" else 1.0
        unit_local = coupon_unit_cost_local(world.spec, country_id)
        redemptions = np.round(spend[:, mask, k] / fx / unit_local)
        spend[:, mask, k] = redemptions * unit_local * fx
    return spend


def calibrate_effect_max(world: World) -> None:
    """Set effect_max so each channel's US whole-window ROI equals its target_roi_us.

    The response is linear in effect_max, so with effect_max = 1 the US incremental
    revenue is I_1 and effect_max = target_roi * spend_us / I_1. Canada gets
    effect_max_us * ca_effect_factor.
    """
    spend = world.spend
    max_lag = int(world.spec["media"]["adstock_max_lag_weeks"])
    us = world.country_mask("us")
    for k, ch in enumerate(world.channels.itertuples()):
        unit = channel_effect_usd(spend[:, :, k], world.population_k, ch.adstock_decay, max_lag, ch.half_sat, ch.slope, 1.0)
        level = ch.target_roi_us * spend[:, us, k].sum() / unit[:, us].sum()
        world.effect_max[:, k] = np.where(us, level, level * world.spec["media"]["ca_effect_factor"])


def launch_fraction(world: World) -> np.ndarray:
    """Share of each channel's adstocked spend that is launch-campaign spend, (weeks, markets, channels)."""
    max_lag = int(world.spec["media"]["adstock_max_lag_weeks"])
    frac = np.zeros_like(world.spend)
    for k, ch in enumerate(world.channels.itertuples()):
        total = geometric_adstock(world.spend[:, :, k], ch.adstock_decay, max_lag)
        launch = geometric_adstock(world.spend_launch[:, :, k], ch.adstock_decay, max_lag)
        frac[:, :, k] = np.divide(launch, total, out=np.zeros_like(total), where=total > 0)
    return frac


def product_mix(world: World) -> np.ndarray:
    """Baseline product mix share per (week, product); launched product ramps in, others shrink."""
    products = world.products
    n_weeks = len(world.weeks)
    mix = np.tile(products["base_mix_share"].to_numpy(float), (n_weeks, 1))
    for p, prod in enumerate(products.itertuples()):
        ramp_weeks = getattr(prod, "launch_ramp_weeks", None)
        if ramp_weeks is None or not np.isfinite(ramp_weeks):
            continue
        launch = pd.Timestamp(prod.launch_date)
        weeks_since = (world.weeks - launch).days.to_numpy() / 7.0
        share = np.clip((weeks_since + 1) / ramp_weeks, 0.0, 1.0) * prod.launch_base_share
        share[weeks_since < 0] = 0.0
        others = [q for q in range(len(products)) if q != p]
        mix[:, others] *= (1.0 - share)[:, None]
        mix[:, p] = share
    return mix


def revenue_by_retailer_product(world: World) -> np.ndarray:
    """Expected weekly revenue per (week, market, retailer, product), USD.

    Baseline and non-retail channels split by the market's retailer shares; a retail
    media channel puts `retail_media_own_retailer_share` of its effect on its own
    retailer and the rest by retailer shares. Products: baseline and always-on
    effects by the week's product mix; of the launch-spend-driven effect (effect x
    launch share of adstocked spend) `launched_product_effect_share` goes to the
    launched product and the rest by mix.
    """
    effects = world.channel_effects()
    frac = launch_fraction(world)
    mix = product_mix(world)
    launch_spec = world.spec["launch_campaign"]
    p_launch = int(np.flatnonzero(world.products.product_id.to_numpy() == launch_spec["product_id"])[0])
    own = world.spec["media"]["retail_media_own_retailer_share"]
    retailer_ids = world.retailers.retailer_id.tolist()
    n_w, n_m = world.baseline.shape
    n_r, n_p = len(retailer_ids), len(world.products)
    # revenue to split by mix (per retailer) and launch-driven revenue (per retailer)
    by_mix = world.baseline[:, :, None] * world.retailer_share[None, :, :]
    launch_driven = np.zeros((n_w, n_m, n_r))
    for k, ch in enumerate(world.channels.itertuples()):
        r_split = np.broadcast_to(world.retailer_share[None, :, :], (n_w, n_m, n_r)).copy()
        retailer_id = getattr(ch, "retailer_id", None)
        if isinstance(retailer_id, str):
            r = retailer_ids.index(retailer_id)
            r_split *= 1.0 - own
            r_split[:, :, r] += own
        eff = effects[:, :, k][:, :, None] * r_split
        ld = (effects[:, :, k] * frac[:, :, k] * launch_spec["launched_product_effect_share"])[:, :, None] * r_split
        launch_driven += ld
        by_mix += eff - ld
    out = by_mix[:, :, :, None] * mix[:, None, None, :]
    out[:, :, :, p_launch] += launch_driven
    return out
