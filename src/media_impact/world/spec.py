"""Load the world specification (world_spec.yml) and expand it for a scale factor."""
from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SPEC_PATH = Path(__file__).with_name("world_spec.yml")


@lru_cache(maxsize=None)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_spec(path: Path | None = None) -> dict:
    """The world spec as a plain dict (a fresh copy each call)."""
    import copy

    return copy.deepcopy(_load(str(path or SPEC_PATH)))


def rng_for(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, so components never shift each other."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


def build_markets(spec: dict, scale: int, seed: int) -> pd.DataFrame:
    """Markets of the world at a scale factor.

    Scale 1 is the spec's list. Scale s > 1 adds synthetic markets so that each
    country has s times as many; their population is drawn from the spec's
    markets (lognormal around the country's median) and their feed ids are made
    up in the same formats (DMA codes from 900 up, province codes 'X01'...).
    """
    base = pd.DataFrame(spec["markets"])
    base["dma_code"] = base.get("dma_code").astype("Int64")
    frames = [base]
    if scale > 1:
        rng = rng_for(seed, "synthetic_markets")
        extra_rows = []
        for country_id, group in base.groupby("country_id", sort=True):
            n_extra = len(group) * (scale - 1)
            median_pop = float(group["population_k"].median())
            pops = np.round(median_pop * np.exp(rng.normal(0.0, 0.5, n_extra)), 0)
            for i in range(n_extra):
                number = i + 1
                if country_id == "us":
                    dma_code = 900 + number
                    extra_rows.append(
                        dict(
                            market_id=f"us_dma_{dma_code}",
                            market_name=f"Synthetic DMA {dma_code}",
                            country_id="us",
                            population_k=float(pops[i]),
                            dma_code=dma_code,
                            province_code=None,
                            meta_name=f"Synthetic DMA {dma_code}, US",
                            google_criterion_id=200000 + dma_code,
                        )
                    )
                else:
                    code = f"X{number:02d}"
                    extra_rows.append(
                        dict(
                            market_id=f"{country_id}_region_{number:03d}",
                            market_name=f"Synthetic Region {number:03d}",
                            country_id=country_id,
                            population_k=float(pops[i]),
                            dma_code=None,
                            province_code=code,
                            meta_name=f"Synthetic Region {number:03d}",
                            google_criterion_id=30000 + number,
                        )
                    )
        frames.append(pd.DataFrame(extra_rows))
    markets = pd.concat(frames, ignore_index=True)
    markets["dma_code"] = markets["dma_code"].astype("Int64")
    markets["population_k"] = markets["population_k"].astype(float)
    # stable order: country, then spec order / synthetic order
    markets["country_order"] = markets["country_id"].map({c: i for i, c in enumerate(spec["countries"])})
    markets = markets.sort_values(["country_order"], kind="stable").drop(columns="country_order")
    return markets.reset_index(drop=True)
