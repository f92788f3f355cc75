"""Forecast settings, read from `config/forecast/forecast.yml`."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

CONFIG_PATH = Path(__file__).resolve().parents[3] / "config" / "forecast" / "forecast.yml"


def load_config(path: str | Path | None = None, **overrides: Any) -> dict[str, Any]:
    """The YAML settings with `horizon` added; keyword overrides replace top-level keys.

    `horizon` defaults to 13 weeks (the dbt var `forecast_horizon_weeks` passes its
    value in from the dbt Python models).
    """
    with open(path or CONFIG_PATH) as handle:
        cfg = yaml.safe_load(handle)
    cfg.setdefault("horizon", 13)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    cfg["horizon"] = int(cfg["horizon"])
    return copy.deepcopy(cfg)
