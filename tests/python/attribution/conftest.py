"""Fixtures for the attribution suite: generated path sets and the peers' PathData."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def generate_path_table(n_paths: int, channels: list[str], seed: int, max_len: int = 6) -> pd.DataFrame:
    """Random distinct paths with conversions, value and nulls (seeded)."""
    rng = np.random.default_rng(seed)
    rows = {}
    while len(rows) < n_paths:
        length = int(rng.integers(1, max_len + 1))
        path = " > ".join(rng.choice(channels, size=length))
        rows[path] = (
            int(rng.integers(0, 20)),
            float(np.round(rng.gamma(2.0, 30.0), 2)),
            int(rng.integers(0, 40)),
        )
    frame = pd.DataFrame(
        [(p, c, v if c > 0 else 0.0, n) for p, (c, v, n) in rows.items()],
        columns=["path", "conversions", "conversion_value_usd", "null_count"],
    )
    frame.loc[frame.index[0], "conversions"] += 1  # at least one conversion
    frame.loc[frame.index[0], "conversion_value_usd"] += 10.0
    return frame


@pytest.fixture(scope="session")
def pathdata(reference_data) -> pd.DataFrame:
    return pd.read_csv(reference_data / "channelattribution_pathdata.csv", sep=";")
