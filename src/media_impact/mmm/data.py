"""Configuration-driven data mapping: any weekly table -> the model's PanelData.

A mapping (YAML ``data:`` block) names the columns::

    date_column: DATE            # week (any day; kept as given)
    kpi_column: revenue          # USD response
    group_column: market_id      # optional: series id (markets of a panel)
    country_column: country_id   # optional
    population_column: population  # optional: per-capita scaling of a panel
    spend_columns: {tv: tv_S, search: search_S}     # channel_id -> column
    controls: [competitor_sales_B, newsletter]      # numeric controls
    categorical_controls:                           # one 0/1 column per level
      - {column: events, baseline: na}              # level(s) to leave out
      - {column: holiday_name, separator: ","}      # multi-valued cells
    split_columns: {walmart: walmart_sales}         # optional: the KPI's parts (retailers)
    channel_splits: {walmart_connect: walmart}      # optional: the part a channel acts on

The same code path serves the sample world's marts (wide frame built by
:func:`frame_from_marts`) and a user's CSV (:func:`frame_from_csv`).
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from .design import PanelData


def load_config(path) -> dict:
    """Read a YAML config; a relative ``data.path`` is resolved against the config's folder
    (:func:`media_impact.inputs.read_yaml`)."""
    from media_impact.inputs import read_yaml

    return read_yaml(path)


def frame_from_csv(mapping: dict) -> pd.DataFrame:
    sep = mapping.get("separator", ",")
    return pd.read_csv(mapping["path"], sep=sep)


def frame_from_marts(design: pd.DataFrame, media: pd.DataFrame,
                     parts: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list]:
    """Join the design mart to the media mart pivoted to one spend column per channel
    and, when given, the retailer sales mart pivoted to one ``revenue__<retailer>``
    column per retailer (zero where the retailer does not sell in the market).

    Returns the wide frame and the channel list (sorted). Channels absent from a
    country are zero there.
    """
    media = media.copy()
    media["week_start"] = pd.to_datetime(media["week_start"])
    wide = media.pivot_table(index=["week_start", "market_id"], columns="channel_id",
                             values="spend_usd", aggfunc="sum", fill_value=0.0)
    channels = sorted(wide.columns.astype(str))
    wide.columns = [f"spend__{c}" for c in wide.columns]
    d = design.copy()
    d["week_start"] = pd.to_datetime(d["week_start"])
    out = d.merge(wide.reset_index(), on=["week_start", "market_id"], how="left")
    spend_cols = [f"spend__{c}" for c in channels]
    out[spend_cols] = out[spend_cols].fillna(0.0)
    if parts is not None and len(parts):
        parts = parts.copy()
        parts["week_start"] = pd.to_datetime(parts["week_start"])
        pw = parts.pivot_table(index=["week_start", "market_id"], columns="retailer_id",
                               values="revenue_usd", aggfunc="sum", fill_value=0.0)
        pw.columns = [f"revenue__{r}" for r in pw.columns]
        out = out.merge(pw.reset_index(), on=["week_start", "market_id"], how="left")
        out[list(pw.columns)] = out[list(pw.columns)].fillna(0.0)
    return out.sort_values(["market_id", "week_start"]).reset_index(drop=True), channels


def _categorical(df: pd.DataFrame, spec: dict) -> pd.DataFrame:
    col = spec["column"]
    base = spec.get("baseline")
    base = set([base] if isinstance(base, str) else (base or []))
    sep = spec.get("separator")
    vals = df[col].fillna("").astype(str)
    lists = vals.str.split(sep) if sep else vals.map(lambda v: [v])
    levels = sorted({x.strip() for xs in lists for x in xs if x.strip() and x.strip() not in base})
    out = {}
    for lv in levels:
        out[f"{col}={lv}"] = lists.map(lambda xs, lv=lv: float(lv in [x.strip() for x in xs]))
    return pd.DataFrame(out, index=df.index)


def panel_from_frame(df: pd.DataFrame, mapping: dict, level: str = "national",
                     country: str | None = None) -> PanelData:
    """Build PanelData from a wide weekly frame.

    ``level="national"``: sum KPI and spend over groups per week (controls: the
    mean over groups for numeric, the max for 0/1 levels); ``"market"``: one series
    per group, with per-capita scaling when ``population_column`` is mapped.
    ``country`` keeps only that country's rows.
    """
    date, kpi = mapping["date_column"], mapping["kpi_column"]
    spend_map = mapping["spend_columns"]
    channels = list(spend_map)
    gcol, ccol = mapping.get("group_column"), mapping.get("country_column")
    df = df.copy()
    df[date] = pd.to_datetime(df[date])
    if country is not None and ccol:
        df = df[df[ccol] == country]
    if not gcol:
        gcol = "__group"
        df[gcol] = "all"
    if not ccol:
        ccol = "__country"
        df[ccol] = mapping.get("country_id", "all")
    num = list(mapping.get("controls") or [])
    cats = [_categorical(df, spec) for spec in (mapping.get("categorical_controls") or [])]
    ctrl = pd.concat([df[num].astype(float)] + cats, axis=1) if (num or cats) else pd.DataFrame(index=df.index)
    dummy_cols = [c for cat in cats for c in cat.columns]
    spend = df[[spend_map[c] for c in channels]].astype(float).to_numpy()
    body = pd.concat([df[[date, gcol, ccol]].reset_index(drop=True),
                      pd.DataFrame({"__y": df[kpi].astype(float).to_numpy()}),
                      pd.DataFrame(spend, columns=[f"__s{i}" for i in range(len(channels))]),
                      ctrl.reset_index(drop=True)], axis=1)
    scols = [f"__s{i}" for i in range(len(channels))]
    split_map = dict(mapping.get("split_columns") or {})
    split_names = list(split_map)
    rcols = [f"__r{i}" for i in range(len(split_names))]
    for rc, name in zip(rcols, split_names):
        body[rc] = df[split_map[name]].astype(float).to_numpy()
    pop = mapping.get("population_column")
    if level == "national":
        body[gcol] = body[ccol]
        agg = {"__y": "sum", **{s: "sum" for s in scols}, **{r: "sum" for r in rcols}}
        agg.update({c: ("max" if c in dummy_cols else "mean") for c in ctrl.columns})
        body = body.groupby([date, gcol, ccol], as_index=False).agg(agg)
        pop = None
    elif pop:
        body["__pop"] = df[pop].astype(float).to_numpy()
    body = body.sort_values([gcol, date])
    groups = sorted(body[gcol].unique())
    weeks = np.sort(body[date].unique())
    G, T, C = len(groups), len(weeks), len(channels)
    full = pd.MultiIndex.from_product([groups, weeks], names=[gcol, date])
    body = body.set_index([gcol, date]).reindex(full)
    if body["__y"].isna().any():
        raise ValueError("the data has missing weeks for some series; every series needs every week")
    ccols = list(ctrl.columns)
    keep = [c for c in ccols if body[c].std() > 0]  # constant columns carry no information
    y = body["__y"].to_numpy().reshape(G, T)
    sp = body[scols].to_numpy().reshape(G, T, C)
    z = body[keep].to_numpy(dtype=float).reshape(G, T, len(keep)) if keep else np.zeros((G, T, 0))
    gc = body[ccol].groupby(level=0).first().reindex(groups).tolist()
    size = body["__pop"].groupby(level=0).first().reindex(groups).to_numpy() if level != "national" and pop else None
    split_y = body[rcols].to_numpy(dtype=float).reshape(G, T, len(rcols)) if rcols else None
    if split_y is not None:
        gap = np.abs(split_y.sum(axis=2) - y) > 1e-6 * np.maximum(np.abs(y), 1.0)
        if gap.any():
            g, t = np.argwhere(gap)[0]
            raise ValueError(f"split_columns do not add up to {kpi!r}: {int(gap.sum())} series-weeks, "
                             f"first {groups[g]} {str(weeks[t])[:10]}")
    csplit = {c: r for c, r in (mapping.get("channel_splits") or {}).items() if c in channels and r in split_names}
    return PanelData(weeks=np.asarray(weeks, dtype="datetime64[D]"), groups=groups, group_country=gc,
                     channels=channels, y=y, spend=sp, controls=z, control_names=keep, group_size=size,
                     split_y=split_y, split_names=split_names if rcols else [], channel_split=csplit)
