"""A fingerprint of everything the forecast's predictions depend on.

The dbt model `forecast_prediction_cache` keys its rows by it, so a rebuild whose inputs
did not change reuses the backtest and the final fit instead of redoing them. It hashes
(sha256, 16 hex digits):
- the feature table's content (every column, rows in key order),
- the settings (config/forecast/forecast.yml plus the horizon),
- the source of the modules that compute predictions, and the scikit-learn version,
so a code or library change recomputes too.
"""
from __future__ import annotations

import hashlib
import json
from importlib import metadata, resources

import pandas as pd

SOURCES = ("aggregation.py", "config.py", "design.py", "models.py", "panel.py", "pipeline.py")


def input_fingerprint(features: pd.DataFrame, cfg: dict) -> str:
    digest = hashlib.sha256()
    columns = sorted(features.columns)
    keys = [c for c in ("market_id", "retailer_id", "week_start") if c in columns]
    frame = features[columns].sort_values(keys, kind="mergesort").reset_index(drop=True)
    digest.update(json.dumps(columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(json.dumps(cfg, sort_keys=True, default=str).encode())
    package = resources.files("media_impact.forecast")
    for name in SOURCES:
        digest.update(package.joinpath(name).read_bytes())
    digest.update(metadata.version("scikit-learn").encode())
    return digest.hexdigest()[:16]
