"""Write the world as raw feeds (shaped like each source's export), reference
seeds, truth tables and the seeds' YAML property files.

Every feed is built from the simulated world; the identifiers, units, currencies,
calendars and date formats each source uses are documented in FEED_DOCS (which
also generates ``seeds/raw/_raw__seeds.yml``).
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .journeys import generate_journeys
from .simulate import World, coupon_unit_cost_local, revenue_by_retailer_product, walmart_fiscal_year_start
from .spec import rng_for
from .truth import truth_tables

COUNTRY_CODE = {"us": "US", "ca": "CA"}


# ------------------------------------------------------------------ helpers
def market_codes(markets: pd.DataFrame) -> dict[str, pd.Series]:
    """The market identifier each feed source uses, indexed like ``markets``."""
    is_us = markets.country_id == "us"
    dma = markets.dma_code.astype("string")
    prov = markets.province_code.astype("string")
    return {
        "meta": markets.meta_name,
        "google_ads": "geoTargetConstants/" + markets.google_criterion_id.astype(int).astype(str),
        "ctv_dsp": pd.Series(np.where(is_us, dma, "CA-" + prov), index=markets.index),
        "amazon": pd.Series(np.where(is_us, "US-" + dma, "CA-" + prov), index=markets.index),
        "walmart": pd.Series(np.where(is_us, "DMA " + dma, "PROV " + prov), index=markets.index),
        "target": markets.market_name.str.upper(),
        "experiments": markets.market_name,
    }


def campaign_name(country_id: str, token: str, flight: str, year: int) -> str:
    """Naming convention MI_<COUNTRY>_<CHANNEL TOKEN>_<FLIGHT>_<YEAR>, e.g. MI_US_CTV_AlwaysOn_2024."""
    return f"MI_{COUNTRY_CODE[country_id]}_{token}_{flight}_{year}"


def campaign_number(platform: str, name: str, digits: int) -> str:
    """A stable platform campaign id made from the campaign name."""
    return str(10 ** (digits - 1) + zlib.crc32(f"{platform}|{name}".encode()) % (9 * 10 ** (digits - 1)))


def campaign_numbers(platform: str, names: pd.Series, digits: int) -> np.ndarray:
    """campaign_number for every row, computed once per distinct name."""
    codes, uniques = pd.factorize(names)
    return np.array([campaign_number(platform, n, digits) for n in uniques], dtype=object)[codes]


def fmt_money(x: np.ndarray) -> np.ndarray:
    """Money rounded to cents; raw CSVs write floats with '%.2f' (numeric columns keep big feeds fast)."""
    return np.round(np.asarray(x, float), 2)


def fmt_int(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=float).round().astype(np.int64)


def fmt_num(x, decimals: int) -> np.ndarray:
    return np.char.mod(f"%.{decimals}f", np.round(np.asarray(x, float), decimals))


def _dates(values, fmt: str) -> np.ndarray:
    """Format dates through their distinct values (a feed has few distinct days, many rows)."""
    codes, uniques = pd.factorize(pd.DatetimeIndex(values), sort=True)
    return pd.DatetimeIndex(uniques).strftime(fmt).to_numpy(dtype=object)[codes]


def _delivery_frame(world: World, k: int, flight: str, spend: np.ndarray, rng) -> pd.DataFrame:
    """Long weekly frame (Monday date, market index, spend_usd, impressions, clicks) of one channel's rows with spend > 0."""
    ch = world.channels.iloc[k]
    values, dates = spend[:, :, k], world.weeks
    t_idx, m_idx = np.nonzero(np.round(values, 2) > 0)
    usd = values[t_idx, m_idx]
    impressions = np.round(usd / max(ch.cpm_usd, 1e-9) * 1000 * np.exp(rng.normal(0, 0.08, len(usd)))) if ch.cpm_usd > 0 else np.zeros(len(usd))
    clicks = np.round(impressions * ch.ctr * np.exp(rng.normal(0, 0.10, len(usd))))
    return pd.DataFrame(
        {"date": dates[t_idx], "market": m_idx, "spend_usd": usd, "impressions": impressions, "clicks": clicks, "flight": flight}
    )


def _channel_rows(world: World, channel_id: str) -> pd.DataFrame:
    """Always-on and launch rows of one channel with country, campaign name, and local currency."""
    k = world.channel_index(channel_id)
    ch = world.channels.iloc[k]
    rng = rng_for(world.seed, f"delivery_{channel_id}")
    frames = [
        _delivery_frame(world, k, "AlwaysOn", world.spend_always_on, rng),
        _delivery_frame(world, k, "Launch-GlowSerum", world.spend_launch, rng),
    ]
    df = pd.concat(frames, ignore_index=True)
    m = world.markets
    df["country_id"] = m.country_id.to_numpy()[df.market]
    df["year"] = pd.DatetimeIndex(df.date).year
    df["campaign_name"] = [campaign_name(c, ch.campaign_token, f, y) for c, f, y in zip(df.country_id, df.flight, df.year)]
    fx = world.fx_weekly.reindex(pd.DatetimeIndex(df.date) - pd.to_timedelta(pd.DatetimeIndex(df.date).weekday, unit="D")).to_numpy()
    df["fx"] = np.where(df.country_id == "ca", fx, 1.0)
    df["currency"] = np.where(df.country_id == "ca", "CAD", "USD")
    return df.sort_values(["date", "market", "campaign_name"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ ad platform feeds
def feed_meta(world: World) -> pd.DataFrame:
    """Weekly insights (time_increment 7: Monday..Sunday), spend in account currency."""
    codes = market_codes(world.markets)["meta"].to_numpy()
    df = pd.concat([_channel_rows(world, c) for c in ("meta_prospecting", "meta_retargeting")], ignore_index=True)
    df = df.sort_values(["date", "market", "campaign_name"], kind="stable")
    return pd.DataFrame(
        {
            "date_start": _dates(df.date, "%Y-%m-%d"),
            "date_stop": _dates(pd.DatetimeIndex(df.date) + pd.Timedelta(days=6), "%Y-%m-%d"),
            "account_id": np.where(df.country_id == "ca", "act_4471902", "act_4471901"),
            "account_currency": df.currency,
            "campaign_id": campaign_numbers("meta", df.campaign_name, 17),
            "campaign_name": df.campaign_name,
            "region": codes[df.market],
            "spend": fmt_money(df.spend_usd / df.fx),
            "impressions": fmt_int(df.impressions),
            "inline_link_clicks": fmt_int(df.clicks),
        }
    )


def feed_google_ads(world: World) -> pd.DataFrame:
    """Weekly (segments_week = Monday) campaign x geo report, cost in micros of customer currency."""
    codes = market_codes(world.markets)["google_ads"].to_numpy()
    parts = []
    for channel_id, channel_type in (("paid_search", "SEARCH"), ("youtube", "VIDEO")):
        df = _channel_rows(world, channel_id)
        df["channel_type"] = channel_type
        parts.append(df)
    df = pd.concat(parts, ignore_index=True).sort_values(["date", "market", "campaign_name"], kind="stable")
    return pd.DataFrame(
        {
            "segments_week": _dates(df.date, "%Y-%m-%d"),
            "customer_id": np.where(df.country_id == "ca", "5532018844", "5532018843"),
            "customer_currency_code": df.currency,
            "campaign_id": campaign_numbers("google", df.campaign_name, 11),
            "campaign_name": df.campaign_name,
            "campaign_advertising_channel_type": df.channel_type,
            "segments_geo_target_region": codes[df.market],
            "metrics_cost_micros": fmt_int(np.round(df.spend_usd / df.fx, 2) * 1_000_000),
            "metrics_impressions": fmt_int(df.impressions),
            "metrics_clicks": fmt_int(df.clicks),
        }
    )


def feed_ctv_dsp(world: World) -> pd.DataFrame:
    """Weekly CTV DSP export: human column names, US-style dates, billed in USD everywhere."""
    codes = market_codes(world.markets)["ctv_dsp"].to_numpy()
    df = _channel_rows(world, "ctv")
    rng = rng_for(world.seed, "ctv_completion")
    return pd.DataFrame(
        {
            "Week": _dates(df.date, "%m/%d/%Y"),
            "Advertiser": "Media Impact Brands",
            "Campaign": df.campaign_name,
            "Campaign ID": campaign_numbers("ctv", df.campaign_name, 8),
            "Metro": codes[df.market],
            "Impressions": fmt_int(df.impressions),
            "Completed Views": fmt_int(np.round(df.impressions * rng.uniform(0.90, 0.97, len(df)))),
            "Clicks": fmt_int(df.clicks),
            "Advertiser Cost (USD)": fmt_num(df.spend_usd, 4),
        }
    )


def feed_amazon_ads(world: World) -> pd.DataFrame:
    """Weekly (startDate Monday .. endDate Sunday) Amazon Ads report; amazon.ca rows in CAD."""
    codes = market_codes(world.markets)["amazon"].to_numpy()
    df = _channel_rows(world, "retail_media_amazon")
    return pd.DataFrame(
        {
            "startDate": _dates(df.date, "%Y-%m-%d"),
            "endDate": _dates(pd.DatetimeIndex(df.date) + pd.Timedelta(days=6), "%Y-%m-%d"),
            "countryCode": np.where(df.country_id == "ca", "CA", "US"),
            "currencyCode": df.currency,
            "campaignId": campaign_numbers("amazon", df.campaign_name, 15),
            "campaignName": df.campaign_name,
            "regionCode": codes[df.market],
            "impressions": fmt_int(df.impressions),
            "clicks": fmt_int(df.clicks),
            "cost": fmt_money(df.spend_usd / df.fx),
        }
    )


def feed_walmart_connect(world: World) -> pd.DataFrame:
    """Weekly (Monday week) report, US-style dates."""
    codes = market_codes(world.markets)["walmart"].to_numpy()
    df = _channel_rows(world, "retail_media_walmart")
    return pd.DataFrame(
        {
            "week_start_date": _dates(df.date, "%m/%d/%Y"),
            "campaign_id": campaign_numbers("walmart", df.campaign_name, 9),
            "campaign_name": df.campaign_name,
            "market_code": codes[df.market],
            "ad_spend": fmt_money(df.spend_usd),
            "impressions": fmt_int(df.impressions),
            "clicks": fmt_int(df.clicks),
        }
    )


def feed_target_roundel(world: World) -> pd.DataFrame:
    """Weekly (Monday) Roundel report, dates as YYYYMMDD."""
    codes = market_codes(world.markets)["target"].to_numpy()
    df = _channel_rows(world, "retail_media_target")
    return pd.DataFrame(
        {
            "report_week": _dates(df.date, "%Y%m%d"),
            "campaign": df.campaign_name,
            "trade_area": codes[df.market],
            "spend": fmt_money(df.spend_usd),
            "impressions": fmt_int(df.impressions),
            "clicks": fmt_int(df.clicks),
        }
    )


def feed_crm(world: World) -> pd.DataFrame:
    """Weekly CRM email send (on the Tuesday), cost in local currency."""
    df = _channel_rows(world, "crm_email")
    rng = rng_for(world.seed, "crm_metrics")
    sent = np.round(df.spend_usd / df.fx / 0.0045)  # ESP cost ~ $4.50 per thousand sends
    opened = np.round(sent * rng.uniform(0.18, 0.30, len(df)))
    clicked = np.round(opened * rng.uniform(0.05, 0.12, len(df)))
    return pd.DataFrame(
        {
            "send_date": _dates(pd.DatetimeIndex(df.date) + pd.Timedelta(days=1), "%Y-%m-%d"),
            "market_code": world.markets.market_id.to_numpy()[df.market],
            "campaign_code": df.campaign_name,
            "emails_sent": fmt_int(sent),
            "emails_opened": fmt_int(opened),
            "email_clicks": fmt_int(clicked),
            "send_cost": fmt_money(df.spend_usd / df.fx),
            "currency": df.currency,
        }
    )


def feed_coupons(world: World) -> pd.DataFrame:
    """Weekly coupon redemptions; cost = redemptions x (face value + clearing fee), local currency."""
    df = _channel_rows(world, "digital_coupons")
    rng = rng_for(world.seed, "coupon_clips")
    unit = np.where(df.country_id == "ca", coupon_unit_cost_local(world.spec, "ca"), coupon_unit_cost_local(world.spec, "us"))
    face = np.where(df.country_id == "ca", world.spec["coupons"]["ca"]["face_value"], world.spec["coupons"]["us"]["face_value"])
    redemptions = np.round(df.spend_usd / df.fx / unit)
    return pd.DataFrame(
        {
            "week_of": _dates(df.date, "%Y-%m-%d"),
            "market_code": world.markets.market_id.to_numpy()[df.market],
            "offer_code": df.campaign_name,
            "clips": fmt_int(np.round(redemptions * rng.uniform(3.0, 5.0, len(df)))),
            "redemptions": fmt_int(redemptions),
            "face_value": fmt_money(face),
            "clearing_fee": fmt_money(unit - face),
            "currency": df.currency,
        }
    )


# ------------------------------------------------------------------ POS feeds
def daily_units(world: World) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Realised daily units per (day, market, retailer, product), from two days before the window.

    Expected daily revenue = weekly expected revenue x weekday share; units ~ Poisson(revenue / price).
    The two pre-window days (Sat, Sun) reuse week 0's level so the Sat-Fri and Sun-Sat retailer
    weeks that start before the window are complete.
    """
    weekly = revenue_by_retailer_product(world)  # (w, m, r, p)
    profile = np.asarray(world.spec["weekday_profile"], float)
    price = world.products.unit_price_usd.to_numpy(float)
    daily = weekly[:, None] * profile[None, :, None, None, None]  # (w, 7, m, r, p)
    daily = daily.reshape(-1, *weekly.shape[1:])
    daily = np.concatenate([weekly[:1] * profile[5:7, None, None, None], daily], axis=0)
    days = pd.date_range(world.weeks[0] - pd.Timedelta(days=2), periods=daily.shape[0], freq="D")
    launch = pd.DatetimeIndex(pd.to_datetime(world.products.launch_date))
    live = (days.to_numpy()[:, None] >= launch.to_numpy()[None, :])[:, None, None, :]
    rng = rng_for(world.seed, "pos_units")
    units = rng.poisson(np.where(live, daily / price, 0.0)).astype(np.int64)
    return days, units


def _restate(df: pd.DataFrame, key_period_end: pd.Series, world: World, name: str) -> pd.DataFrame:
    """Add restated rows: a sample of rows is first loaded with a wrong value, then re-sent corrected.

    Normal load_ts = period end + 1 day 06:00; the wrong first load keeps that stamp and the
    correction arrives 7 days later, so 'latest load wins' recovers the true value.
    """
    spec = world.spec["restatements"]
    rng = rng_for(world.seed, f"restate_{name}")
    load = pd.DatetimeIndex(key_period_end) + pd.Timedelta(days=1, hours=6)
    df = df.copy()
    df["_load"] = load
    pick = rng.random(len(df)) < spec["share_of_rows"]
    wrong = df[pick].copy()
    factor = np.exp(rng.normal(0, spec["error_sigma"], pick.sum()))
    wrong["_units"] = np.round(wrong["_units"] * factor)
    df.loc[pick, "_load"] = df.loc[pick, "_load"] + pd.Timedelta(days=7)
    out = pd.concat([df, wrong], ignore_index=True)
    out = out.sort_values(["_order", "_load"], kind="stable").reset_index(drop=True)
    return out


# first weekday (Monday = 0) of each weekly POS feed's week: Walmart's fiscal week runs
# Saturday-Friday, Target's Sunday-Saturday (Amazon reports days)
RETAILER_WEEK_FIRST_DAY = {"walmart": 5, "target": 6}


def _retailer_week_rows(world: World, days, units, r: int, first_weekday: int, launch) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """Sum daily units into a retailer's 7-day weeks starting on first_weekday (Monday=0).

    Returns one row per (week, market, product) the retailer sells (product launched by
    the week's end, retailer present in the market), and the weeks' first days.
    """
    first = int(np.flatnonzero(days.weekday == first_weekday)[0])
    n_wk = (len(days) - first) // 7
    wk_units = units[first : first + 7 * n_wk, :, r, :].reshape(n_wk, 7, units.shape[1], units.shape[3]).sum(axis=1)
    wk_start = days[first : first + 7 * n_wk : 7]
    w_idx, m_idx, p_idx = np.nonzero(np.ones_like(wk_units, dtype=bool))
    week_end = wk_start[w_idx] + pd.Timedelta(days=6)
    keep = (week_end.to_numpy() >= launch[p_idx]) & (world.retailer_share[m_idx, r] > 0)
    w_idx, m_idx, p_idx = w_idx[keep], m_idx[keep], p_idx[keep]
    df = pd.DataFrame({"_order": np.arange(len(w_idx)), "_units": wk_units[w_idx, m_idx, p_idx], "w": w_idx, "m": m_idx, "p": p_idx})
    df["week_begin"] = wk_start[w_idx]
    df["week_end"] = df["week_begin"] + pd.Timedelta(days=6)
    return df, wk_start


def feed_pos(world: World) -> dict[str, pd.DataFrame]:
    days, units = daily_units(world)
    m = world.markets
    codes = market_codes(m)
    prods = world.products
    price = prods.unit_price_usd.to_numpy(float)
    retailer_ids = world.retailers.retailer_id.tolist()
    week_of_day = days - pd.to_timedelta(days.weekday, unit="D")
    fx_day = world.fx_weekly.reindex(week_of_day).bfill().to_numpy()
    is_ca = (m.country_id == "ca").to_numpy()
    launch = pd.to_datetime(prods.launch_date).to_numpy()
    feeds = {}

    # Amazon: daily by market x ASIN, ISO dates, marketplace currency
    r = retailer_ids.index("amazon")
    in_window = days >= world.weeks[0]
    u = units[in_window, :, r, :]
    d_idx, m_idx, p_idx = np.nonzero(np.ones_like(u, dtype=bool))
    dates = days[in_window][d_idx]
    keep = dates.to_numpy() >= launch[p_idx]
    d_idx, m_idx, p_idx, dates = d_idx[keep], m_idx[keep], p_idx[keep], dates[keep]
    df = pd.DataFrame({"_order": np.arange(len(d_idx)), "_units": u[d_idx, m_idx, p_idx], "date": dates, "m": m_idx, "p": p_idx})
    df["_fx"] = np.where(is_ca[m_idx], fx_day[in_window][d_idx], 1.0)
    df = _restate(df, df.date, world, "amazon")
    feeds["raw_amazon__vendor_sales"] = pd.DataFrame(
        {
            "date": _dates(df.date, "%Y-%m-%d"),
            "ship_to_region": codes["amazon"].to_numpy()[df.m],
            "asin": prods.asin.to_numpy()[df.p],
            "ordered_units": fmt_int(df._units),
            "ordered_revenue": fmt_money(df._units * price[df.p] / df._fx),
            "currency_code": np.where(is_ca[df.m], "CAD", "USD"),
            "load_ts": _dates(df._load, "%Y-%m-%d %H:%M"),
        }
    )

    # Walmart: fiscal weeks Sat-Fri, item numbers, US-style dates, quoted Retail Link headers
    r = retailer_ids.index("walmart")
    df, wk_start = _retailer_week_rows(world, days, units, r, first_weekday=RETAILER_WEEK_FIRST_DAY["walmart"],
                                       launch=launch)
    cal = walmart_calendar(wk_start)
    # Canadian sales converted at the rate of the Monday week holding most of the days
    df["_fx"] = np.where(is_ca[df.m], world.fx_weekly.reindex(wk_start[df.w] + pd.Timedelta(days=2)).to_numpy(), 1.0)
    df = _restate(df, df.week_end, world, "walmart")
    feeds["raw_walmart__retail_link_sales"] = pd.DataFrame(
        {
            "WM Week": cal.retailer_week_code.to_numpy()[df.w],
            "Week Ending Date": _dates(df.week_end, "%m/%d/%Y"),
            "Store Market": codes["walmart"].to_numpy()[df.m],
            "Item Nbr": prods.walmart_item_nbr.astype(str).to_numpy()[df.p],
            "POS Qty": fmt_int(df._units),
            "POS Sales": fmt_money(df._units * price[df.p] / df._fx),
            "Currency": np.where(is_ca[df.m], "CAD", "USD"),
            "Load Timestamp": _dates(df._load, "%m/%d/%Y %H:%M:%S"),
        }
    )

    # Target: Sunday-start weeks, DPCI, YYYYMMDD dates, US only
    r = retailer_ids.index("target")
    df, _ = _retailer_week_rows(world, days, units, r, first_weekday=RETAILER_WEEK_FIRST_DAY["target"], launch=launch)
    df = _restate(df, df.week_end, world, "target")
    feeds["raw_target__pos_sales"] = pd.DataFrame(
        {
            "week_beginning": _dates(df.week_begin, "%Y%m%d"),
            "dpci": prods.target_dpci.to_numpy()[df.p],
            "trade_area": codes["target"].to_numpy()[df.m],
            "sales_units": fmt_int(df._units),
            "sales_usd": fmt_money(df._units * price[df.p]),
            "load_ts": _dates(df._load, "%Y-%m-%dT%H:%M:%S"),
        }
    )
    return feeds


def walmart_calendar(saturdays: pd.DatetimeIndex) -> pd.DataFrame:
    """Walmart fiscal year / week of each Sat-Fri week, and the Monday week it maps to (Sat + 2 days)."""
    rows = []
    for sat in saturdays:
        d = sat.date()
        fy = d.year + 1
        while walmart_fiscal_year_start(fy) > d:
            fy -= 1
        week = (d - walmart_fiscal_year_start(fy)).days // 7 + 1
        rows.append(
            dict(
                retailer_id="walmart",
                fiscal_year=fy,
                fiscal_week=week,
                retailer_week_code=f"{fy}{week:02d}",
                period_start_date=sat,
                period_end_date=sat + pd.Timedelta(days=6),
                week_start=sat + pd.Timedelta(days=2),
            )
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ other feeds
def feed_macro(world: World) -> pd.DataFrame:
    mm = world.macro_monthly
    series = {"economic_index": "ECON_ACTIVITY_IDX", "inflation_rate": "CPI_YOY_PCT", "unemployment_rate": "UNEMP_RATE_PCT"}
    iso3 = {"us": "USA", "ca": "CAN"}
    rows = []
    for col, sid in series.items():
        rows.append(
            pd.DataFrame(
                {
                    "country": mm.country_id.map(iso3),
                    "series_id": sid,
                    "period": mm.month_start.dt.strftime("%Y-%m"),
                    "value": fmt_num(mm[col], 2),
                    "released_at": (mm.month_start + pd.offsets.MonthBegin(1) + pd.Timedelta(days=14)).dt.strftime("%Y-%m-%d"),
                }
            )
        )
    return pd.concat(rows, ignore_index=True).sort_values(["country", "series_id", "period"], kind="stable")


def feed_geo_design(world: World) -> pd.DataFrame:
    geo = world.spec["geo_experiment"]
    codes = market_codes(world.markets)["experiments"]
    mid = world.markets.market_id
    ch = world.channels.set_index("channel_id").loc[geo["channel_id"]]
    test_start = pd.Timestamp(geo["test_start"])
    test_end = test_start + pd.Timedelta(weeks=geo["test_weeks"]) - pd.Timedelta(days=1)
    rows = []
    for group, ids in (("test", geo["test_markets"]), ("control", geo["control_markets"])):
        for market_id in ids:
            i = int(np.flatnonzero(mid == market_id)[0])
            withheld = world.geo_withheld[:, i].sum()
            rows.append(
                dict(
                    experiment_id=geo["experiment_id"],
                    market=codes.iloc[i],
                    channel=ch.cleanroom_name,
                    group=group,
                    pre_period_start=geo["pre_start"],
                    pre_period_end=geo["pre_end"],
                    test_period_start=test_start.strftime("%Y-%m-%d"),
                    test_period_end=test_end.strftime("%Y-%m-%d"),
                    planned_spend_change=f"{-withheld:.2f}",
                )
            )
    return pd.DataFrame(rows)


def feed_cleanroom(world: World) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_users = int(world.spec["journeys"]["n_users_per_scale"]) * world.scale
    j = generate_journeys(n_users, world.seed, world.spec)
    names = world.channels.set_index("channel_id").cleanroom_name
    tp = pd.DataFrame(
        {
            "event_id": fmt_int(j.touchpoints.event_id),
            "user_id_hash": j.touchpoints.user_id_hash,
            "event_ts": _dates(j.touchpoints.event_ts, "%Y-%m-%d %H:%M:%S"),
            "channel": j.touchpoints.channel_id.map(names).to_numpy(),
        }
    )
    cv = pd.DataFrame(
        {
            "order_id": fmt_int(j.conversions.order_id),
            "user_id_hash": j.conversions.user_id_hash,
            "conversion_ts": _dates(j.conversions.conversion_ts, "%Y-%m-%d %H:%M:%S"),
            "conversion_value": fmt_money(j.conversions.conversion_value_usd),
        }
    )
    return tp, cv, j.channel_credit


# ------------------------------------------------------------------ reference seeds
def reference_tables(world: World, walmart_cal: pd.DataFrame) -> dict[str, pd.DataFrame]:
    m = world.markets
    codes = market_codes(m)
    ch = world.channels
    spec = world.spec
    refs = {}
    refs["ref_countries"] = pd.DataFrame(
        [
            dict(country_id=c, country_name=v["country_name"], country_iso3={"us": "USA", "ca": "CAN"}[c], currency_code=v["currency"])
            for c, v in spec["countries"].items()
        ]
    )
    refs["ref_markets"] = pd.DataFrame(
        {
            "market_id": m.market_id,
            "market_name": m.market_name,
            "country_id": m.country_id,
            "population": (m.population_k * 1000).astype(np.int64),
            "dma_code": m.dma_code.astype("string").fillna(""),
            "province_code": m.province_code.astype("string").fillna(""),
        }
    )
    refs["ref_market_id_map"] = pd.concat(
        [pd.DataFrame({"feed_source": src, "source_market_code": codes[src], "market_id": m.market_id}) for src in codes],
        ignore_index=True,
    )
    refs["ref_channels"] = pd.DataFrame(
        {
            "channel_id": ch.channel_id,
            "channel_name": ch.channel_name,
            "channel_group": ch.channel_group,
            "platform": ch.platform,
            "is_retargeting": ch.is_retargeting.map({True: "true", False: "false"}),
            "retailer_id": ch.retailer_id.fillna(""),
        }
    )
    refs["ref_channel_id_map"] = pd.concat(
        [
            pd.DataFrame({"feed_source": "campaign_token", "source_channel_code": ch.campaign_token, "channel_id": ch.channel_id}),
            pd.DataFrame({"feed_source": "cleanroom", "source_channel_code": ch.cleanroom_name, "channel_id": ch.channel_id}),
        ],
        ignore_index=True,
    )
    refs["ref_retailers"] = pd.DataFrame(
        {
            "retailer_id": world.retailers.retailer_id,
            "retailer_name": world.retailers.retailer_name,
            "country_ids": world.retailers.countries.map(lambda cs: ";".join(cs)),
            "pos_grain": world.retailers.pos_grain,
        }
    )
    p = world.products
    refs["ref_products"] = p[["product_id", "product_name", "launch_date", "unit_price_usd", "unit_margin_usd", "unit_holding_cost_usd"]].copy()
    refs["ref_product_id_map"] = pd.concat(
        [
            pd.DataFrame({"retailer_id": "amazon", "retailer_product_code": p.asin, "product_id": p.product_id}),
            pd.DataFrame({"retailer_id": "walmart", "retailer_product_code": p.walmart_item_nbr.astype(str), "product_id": p.product_id}),
            pd.DataFrame({"retailer_id": "target", "retailer_product_code": p.target_dpci, "product_id": p.product_id}),
        ],
        ignore_index=True,
    )
    h = world.holidays
    refs["ref_holidays"] = pd.DataFrame(
        {"holiday_date": h.holiday_date.dt.strftime("%Y-%m-%d"), "week_start": h.week_start.dt.strftime("%Y-%m-%d"), "country_id": h.country_id, "holiday_name": h.holiday_name}
    )
    sundays = pd.date_range(world.weeks[0] - pd.Timedelta(days=1), periods=len(world.weeks), freq="7D")
    target_cal = pd.DataFrame(
        {
            "retailer_id": "target",
            # this world's Target weeks are numbered within the calendar year of the week's Saturday
            "fiscal_year": (sundays + pd.Timedelta(days=6)).year,
            "fiscal_week": 0,
            "retailer_week_code": sundays.strftime("%Y%m%d"),
            "period_start_date": sundays,
            "period_end_date": sundays + pd.Timedelta(days=6),
            "week_start": sundays + pd.Timedelta(days=1),
        }
    )
    target_cal["fiscal_week"] = target_cal.groupby("fiscal_year").cumcount() + 1
    cal = pd.concat([walmart_cal, target_cal], ignore_index=True)
    for col in ("period_start_date", "period_end_date", "week_start"):
        cal[col] = pd.DatetimeIndex(cal[col]).strftime("%Y-%m-%d")
    refs["ref_retailer_calendars"] = cal
    refs["ref_fx_rates"] = pd.DataFrame(
        {"week_start": world.weeks.strftime("%Y-%m-%d"), "currency_code": "CAD", "usd_per_unit": fmt_num(world.fx_weekly.to_numpy(), 4)}
    )
    return refs


# ------------------------------------------------------------------ writing
def _write_csv(df: pd.DataFrame, path: Path, float_format: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", float_format=float_format)


def write_world(world: World, out: Path) -> dict[str, int]:
    """Write raw, reference and truth seeds plus their YAML under ``out``; returns rows per seed."""
    out = Path(out)
    raw = {
        "raw_meta__ads_insights": feed_meta(world),
        "raw_google_ads__campaign_geo_stats": feed_google_ads(world),
        "raw_ctv_dsp__delivery": feed_ctv_dsp(world),
        "raw_amazon_ads__campaign_report": feed_amazon_ads(world),
        "raw_walmart_connect__weekly_report": feed_walmart_connect(world),
        "raw_target_roundel__weekly_report": feed_target_roundel(world),
        "raw_crm__email_sends": feed_crm(world),
        "raw_coupons__redemptions": feed_coupons(world),
        "raw_macro__indicators": feed_macro(world),
        "raw_experiments__geo_test_design": feed_geo_design(world),
    }
    raw.update(feed_pos(world))
    tp, cv, credit = feed_cleanroom(world)
    raw["raw_cleanroom__touchpoints"] = tp
    raw["raw_cleanroom__conversions"] = cv
    sat = pd.date_range(world.weeks[0] - pd.Timedelta(days=2), periods=len(world.weeks), freq="7D")
    refs = reference_tables(world, walmart_calendar(sat))
    truths = truth_tables(world, credit)

    rows = {}
    # raw feeds: every float column is money in cents (other decimals are pre-formatted text)
    for folder, tables, float_format in (("raw", raw, "%.2f"), ("reference", refs, "%.6f"), ("truth", truths, "%.6f")):
        for name, df in sorted(tables.items()):
            _write_csv(df, out / folder / f"{name}.csv", float_format)
            rows[name] = len(df)
    from .seed_yaml import write_seed_yaml

    write_seed_yaml(out, raw, refs, truths)
    return rows
