"""Response curves: incremental revenue and marginal return on a spend grid."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .response import ChannelResponse


def response_curves(resp: ChannelResponse, channels: list, multipliers) -> pd.DataFrame:
    """One row per channel and multiplier ``m`` of the window's historical spend ``S``.

    ``spend_usd = m S``; ``incremental_revenue_usd = R(m)`` (no spend in the window is
    the counterfactual; carryover tail counted); ``marginal_roi = R'(m) / S`` (revenue
    per extra dollar at that spend); ``roi = R(m) / (m S)``.

    With a :class:`media_impact.mmm.response_draws.PosteriorResponse` the values are
    posterior means and ``*_lower_90`` / ``*_upper_90`` the 90% interval over the draws
    (empty for a point response).
    """
    draws = hasattr(resp, "curve_draws")
    rows = []
    for c, ch in enumerate(channels):
        S = resp.spend[c]
        if S <= 0:
            continue
        if draws:
            revs, mars = resp.curve_draws(c, multipliers)                       # (M, S) each
        else:
            revs = np.array([[resp.revenue(c, float(m))] for m in multipliers])
            mars = np.array([[resp.marginal(c, float(m))] for m in multipliers])
        for m, rev, mar in zip(multipliers, revs, mars / S):
            m = float(m)
            r = float(rev.mean())
            lo, hi = np.percentile(rev, [5, 95]) if draws else (np.nan, np.nan)
            mlo, mhi = np.percentile(mar, [5, 95]) if draws else (np.nan, np.nan)
            rows.append({"channel_id": ch, "spend_multiplier": m, "spend_usd": m * S,
                         "incremental_revenue_usd": r,
                         "incremental_revenue_lower_90_usd": lo, "incremental_revenue_upper_90_usd": hi,
                         "roi": r / (m * S) if m > 0 else np.nan,
                         "roi_lower_90": lo / (m * S) if m > 0 else np.nan,
                         "roi_upper_90": hi / (m * S) if m > 0 else np.nan,
                         "marginal_roi": float(mar.mean()),
                         "marginal_roi_lower_90": mlo, "marginal_roi_upper_90": mhi,
                         "is_current_spend": bool(np.isclose(m, 1.0))})
    return pd.DataFrame(rows)
