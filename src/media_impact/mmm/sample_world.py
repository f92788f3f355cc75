"""The sample world's MMM inputs in the marts' wide shape, straight from the generator
(so package tests do not need a dbt build)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def world_frame():
    from media_impact.world.simulate import build_world

    w = build_world()
    T, M, C = w.spend.shape
    weeks = np.repeat(w.weeks.values, M)
    mk = w.markets
    df = pd.DataFrame({
        "week_start": weeks,
        "market_id": np.tile(mk.market_id.to_numpy(), T),
        "country_id": np.tile(mk.country_id.to_numpy(), T),
        "population": np.tile(w.population_k, T),
        "revenue_usd": w.expected_revenue().reshape(-1),
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
    return df, mapping
