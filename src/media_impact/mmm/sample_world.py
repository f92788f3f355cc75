"""The sample world's MMM inputs in the marts' wide shape, straight from the generator
(so package tests and the benchmark do not need a dbt build)."""
from __future__ import annotations

import numpy as np
import pandas as pd

def retailer_revenue(w, seed: int = 0) -> np.ndarray:
    """Weekly revenue per (week, market, retailer) as the POS feeds report it: the
    generator's expected revenue per retailer and product, shifted into each retailer's
    own week (mapped to the Monday week holding most of its days) and drawn as Poisson
    units at the product's price (seeded)."""
    from media_impact.world.feeds import RETAILER_WEEK_FIRST_DAY
    from media_impact.world.simulate import revenue_by_retailer_product

    rev = revenue_by_retailer_product(w)                     # (T, M, R, P)
    prof = np.asarray(w.spec["weekday_profile"], float)
    prof = prof / prof.sum()
    price = w.products.unit_price_usd.to_numpy(float)
    rng = np.random.default_rng([w.seed, seed, 7])
    out = np.zeros(rev.shape[:3])
    for r, rid in enumerate(w.retailers.retailer_id):
        # the days of its week before the Monday week it is filed under (none for daily feeds)
        lead = float(prof[RETAILER_WEEK_FIRST_DAY.get(rid, 7):].sum())
        x = rev[:, :, r]
        x = lead * np.concatenate([x[:1], x[:-1]]) + (1.0 - lead) * x
        out[:, :, r] = (rng.poisson(x / price) * price).sum(axis=2)
    return out


def world_frame(seed: int | None = None, split: bool = True):
    """Wide frame and mapping of a sample world (the committed one by default).

    ``split``: revenue is the sum of the retailers' POS-like revenue
    (:func:`retailer_revenue`) and the mapping carries the retailer split, as the dbt
    marts do; otherwise revenue is the generator's expected revenue."""
    from media_impact.world.simulate import build_world

    w = build_world() if seed is None else build_world(seed=seed)
    T, M, C = w.spend.shape
    weeks = np.repeat(w.weeks.values, M)
    mk = w.markets
    parts = retailer_revenue(w) if split else None
    df = pd.DataFrame({
        "week_start": weeks,
        "market_id": np.tile(mk.market_id.to_numpy(), T),
        "country_id": np.tile(mk.country_id.to_numpy(), T),
        "population": np.tile(w.population_k, T),
        "revenue_usd": (parts.sum(axis=2) if split else w.expected_revenue()).reshape(-1),
    })
    hol = w.holidays.groupby(["country_id", "week_start"]).holiday_name.agg(lambda s: ",".join(sorted(s)))
    df["holiday_name"] = [hol.get((c, pd.Timestamp(d)), None) for c, d in zip(df.country_id, df.week_start)]
    mm = w.macro_monthly.set_index(["country_id", "month_start"])
    month = pd.to_datetime(df.week_start).dt.to_period("M").dt.to_timestamp()
    for col in ("economic_index", "inflation_rate", "unemployment_rate"):
        df[col] = mm[col].reindex(list(zip(df.country_id, month))).to_numpy()
    chans = list(w.channels.channel_id)
    for k, ch in enumerate(chans):
        df[f"spend__{ch}"] = w.spend[:, :, k].reshape(-1)
    mapping = {
        "date_column": "week_start", "kpi_column": "revenue_usd", "group_column": "market_id",
        "country_column": "country_id", "population_column": "population",
        "controls": ["economic_index", "inflation_rate", "unemployment_rate"],
        "categorical_controls": [{"column": "holiday_name", "separator": ","}],
        "spend_columns": {c: f"spend__{c}" for c in sorted(chans)},
    }
    if split:
        rids = list(w.retailers.retailer_id)
        for r, rid in enumerate(rids):
            df[f"revenue__{rid}"] = parts[:, :, r].reshape(-1)
        mapping["split_columns"] = {rid: f"revenue__{rid}" for rid in rids}
        mapping["channel_splits"] = {c: r for c, r in zip(w.channels.channel_id, w.channels.retailer_id)
                                     if isinstance(r, str)}
    return df, mapping, w
