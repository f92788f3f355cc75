"""A fitted MMM saved to one file and used again without refitting.

The file (``.npz``, numpy's zip of arrays, no pickled code) holds, for each preferred
fit (one per country): the posterior draws (carryover, half-saturation, slope,
coefficients, noise), the model settings, the scope and country, the data
fingerprint, and, once, the config and the fitted data as CSV text. Loading rebuilds
the compiled model from the data and settings (cheap: no search, no sampling), checks
the fingerprint, and plans over the saved draws: response curves, the optimal split,
scenarios (the reallocation and budget change given on the command line) with their
90% intervals (:func:`media_impact.mmm.tables.planning`).
"""
from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .config import MMMConfig
from .data import panel_from_frame
from .grouping import pool_markets
from .model import MMM, Settings
from .posterior import Draws

FORMAT = "media_impact.mmm/1"
DRAW_FIELDS = ("alpha", "half_sat", "slope", "beta", "sigma")


class SavedModelError(ValueError):
    """The file is not a saved model this version can read, or does not match its data."""


def save(path, frame: pd.DataFrame, mapping: dict, cfg: dict, fitted: list) -> Path:
    """Write ``fitted`` (:func:`media_impact.mmm.pipeline.run_models`' preferred fits)
    with the data and config. Only posterior fits carry draws to plan over."""
    runs, arrays = [], {}
    for i, (ident, res, draws, pooled) in enumerate(fitted):
        if draws is None:
            raise SavedModelError(f"{ident['model_scope']}:{ident['country_id']} has no posterior draws "
                                  "(intervals by Laplace or bootstrap); only posterior fits can be saved")
        runs.append({**ident, "settings": res.settings.to_dict(), "data_fingerprint": res.data.fingerprint(),
                     "channels": list(res.data.channels), "market_groups": pooled})
        for f in DRAW_FIELDS:
            arrays[f"run{i}_{f}"] = getattr(draws, f)
    meta = {"format": FORMAT, "config": cfg, "mapping": mapping, "runs": runs}
    path = Path(path)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, meta=np.array(json.dumps(meta, default=str)),
                            frame=np.array(frame.to_csv(index=False)), **arrays)
    return path


def load(path) -> tuple[dict, pd.DataFrame, list]:
    """``(meta, frame, [(run, model, draws)])`` of a saved file; the data fingerprint of
    every run is checked against the rebuilt data."""
    path = Path(path)
    if not path.exists():
        raise SavedModelError(f"saved model not found: {path}")
    try:
        z = np.load(path, allow_pickle=False)
        meta = json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError) as exc:
        raise SavedModelError(f"{path}: not a saved media_impact model ({exc})") from None
    if meta.get("format") != FORMAT:
        raise SavedModelError(f"{path}: format {meta.get('format')!r}, this version reads {FORMAT!r}")
    mapping = meta["mapping"]
    frame = pd.read_csv(io.StringIO(str(z["frame"])), keep_default_na=False)
    frame[mapping["date_column"]] = pd.to_datetime(frame[mapping["date_column"]])
    out = []
    for i, run in enumerate(meta["runs"]):
        level = "national" if run["model_scope"] == "national" else "market"
        country = run["country_id"] if mapping.get("country_column") else None
        pooled = run.get("market_groups")
        data = panel_from_frame(pool_markets(frame, mapping, pooled) if pooled else frame, mapping, level, country)
        keep = [data.channels.index(c) for c in run["channels"]]
        data = replace(data, channels=list(run["channels"]), spend=data.spend[:, :, keep])
        if data.fingerprint() != run["data_fingerprint"]:
            raise SavedModelError(f"{path}: the saved data no longer give the fitted data "
                                  f"({run['model_scope']}:{run['country_id']}); refit")
        model = MMM(data, Settings.from_dict(run["settings"]))
        draws = Draws(**{f: z[f"run{i}_{f}"] for f in DRAW_FIELDS}, acceptance=float("nan"))
        out.append((run, model, draws))
    return meta, frame, out


def plan(path, amount_usd: float | None = None, from_channel: str | None = None, to_channel: str | None = None,
         budget_change: float | None = None) -> dict:
    """The planning tables (curves, scenarios, budget allocation) of a saved model over
    its saved draws, with the config's planning choices overridden where given."""
    from . import tables as tb

    meta, _, runs = load(path)
    cfg = MMMConfig.from_dict(meta["config"])
    p = cfg.planning
    p = replace(p, from_channel=from_channel or p.from_channel, to_channel=to_channel or p.to_channel,
                budget_change=p.budget_change if budget_change is None else float(budget_change))
    amount = float(p.amount_usd if amount_usd is None else amount_usd)
    out = {t: [] for t in ("response_curves", "scenarios", "budget_allocation")}
    for run, model, draws in runs:
        ident = {k: run[k] for k in ("run_id", "model_scope", "country_id")}
        T = model.T
        window = np.arange(T) >= T - min(p.window_weeks, T)
        res = SimpleNamespace(data=model.data, model=model, fit=None)
        for t, df in tb.planning(ident, res, {"draws": draws}, window, p, amount).items():
            out[t].append(df)
    return {t: pd.concat(v, ignore_index=True) for t, v in out.items()}
