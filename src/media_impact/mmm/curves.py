"""Response curves: incremental revenue and marginal return on a spend grid."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .model import ChannelResponse


def response_curves(resp: ChannelResponse, channels: list, multipliers) -> pd.DataFrame:
    """One row per channel and multiplier ``m`` of the window's historical spend ``S``.

    ``spend_usd = m S``; ``incremental_revenue_usd = R(m)`` (no spend in the window is
    the counterfactual; carryover tail counted); ``marginal_roi = R'(m) / S`` (revenue
    per extra dollar at that spend); ``roi = R(m) / (m S)``.
    """
    rows = []
    for c, ch in enumerate(channels):
        S = resp.spend[c]
        if S <= 0:
            continue
        for m in multipliers:
            r = resp.revenue(c, float(m))
            rows.append({"channel_id": ch, "spend_multiplier": float(m), "spend_usd": m * S,
                         "incremental_revenue_usd": r,
                         "roi": r / (m * S) if m > 0 else np.nan,
                         "marginal_roi": resp.marginal(c, float(m)) / S,
                         "is_current_spend": bool(np.isclose(m, 1.0))})
    return pd.DataFrame(rows)
