"""Planning scenarios on a fitted model: current vs optimal, reallocation, budget +-,
and always-on vs pulsed flighting."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .model import MMM, ChannelResponse, Fit
from .optimiser import allocate, tabulate


def flight_revenue(model: MMM, fit: Fit, c: int, weekly_usd: np.ndarray, group_mask) -> float:
    """Incremental revenue of a flight plan for channel ``c`` started from no spend:
    ``beta_c sum_g ybar_g sum_t f_c(plan_g / xbar_gc)`` over the plan and its
    ``l_max`` carryover tail. ``weekly_usd`` (weeks,) is split over the series in
    ``group_mask`` in proportion to their historical spend on the channel."""
    gm = np.asarray(group_mask, bool)
    hist = model.data.spend[gm, :, c].sum(axis=1)
    share = hist / hist.sum() if hist.sum() > 0 else np.full(gm.sum(), 1 / gm.sum())
    plan = np.concatenate([weekly_usd, np.zeros(model.L)])
    x = share[:, None] * plan[None, :] / model.spend_scale[gm, c][:, None]
    f = model.saturate(fit.theta[c], model.adstocked(fit.theta[c], x)).sum(axis=1)
    return float(fit.beta[c] * (model.y_scale[gm] * f).sum())


def scenarios(model: MMM, fit: Fit, resp: ChannelResponse, channels: list, lower, upper,
              reallocation_usd: float, from_channel: str | None, to_channel: str | None,
              budget_change: float = 0.2, flight_weeks: int = 12, pulse_on: int = 2,
              pulse_off: int = 2, group_mask=None) -> tuple[pd.DataFrame, dict]:
    """Rows per scenario and channel: spend and incremental revenue (USD).

    * ``current``: historical spend in the planning window.
    * ``optimal``: the best split of the same total within the bounds.
    * ``reallocate``: ``reallocation_usd`` moved from ``from_channel`` to ``to_channel``
      (default: from the lowest to the highest marginal-ROI channel).
    * ``budget_minus_20pct`` / ``budget_plus_20pct``: optimal split of the total
      changed by ``-/+budget_change``.
    * ``flight_always_on`` / ``flight_pulsed``: each channel's average weekly spend
      times ``flight_weeks``, spent evenly, or in bursts of ``pulse_on`` weeks at
      ``(pulse_on+pulse_off)/pulse_on`` times the rate followed by ``pulse_off`` dark
      weeks; same total, revenue from the fitted carryover and saturation.

    With a :class:`media_impact.mmm.response_draws.PosteriorResponse` every revenue is
    the posterior mean with a 90% interval per row, and ``scenario_gain_usd`` (the
    scenario's total incremental revenue minus the current plan's; for the flights,
    minus the always-on plan's) has its interval over the same draws. With a point
    response (one fit) the interval columns are empty.
    """
    S = resp.spend
    C = len(channels)
    draws = hasattr(resp, "revenue_draws")      # a PosteriorResponse: every scenario gets its interval
    n = len(resp.beta) if draws else 1

    def rev_draws(c, m):
        if S[c] <= 0:
            return np.zeros(n)
        return resp.revenue_draws(c, m) if draws else np.array([resp.revenue(c, m)])

    def flight_draws(c, weekly):
        if draws:
            return resp.flight_draws(model, c, weekly)
        return np.array([flight_revenue(model, fit, c, weekly, gm)])

    cur = np.column_stack([rev_draws(c, 1.0) for c in range(C)])          # (n, C)
    cur_rev = cur.mean(axis=0)
    rows = []

    def add(sid, name, spend, rev, note="", base=None):
        rev = np.asarray(rev, float)                                        # (n, C) draws
        gain = rev.sum(axis=1) - (cur if base is None else base).sum(axis=1)
        lo, hi = (np.percentile(rev, [5, 95], axis=0) if n > 1 else (np.full(C, np.nan),) * 2)
        glo, ghi = (np.percentile(gain, [5, 95]) if n > 1 else (np.nan, np.nan))
        for c in range(C):
            rows.append({"scenario_id": sid, "scenario_name": name, "channel_id": channels[c],
                         "spend_usd": float(spend[c]), "incremental_revenue_usd": float(rev[:, c].mean()),
                         "incremental_revenue_lower_90_usd": float(lo[c]),
                         "incremental_revenue_upper_90_usd": float(hi[c]),
                         "current_spend_usd": float(S[c]),
                         "current_incremental_revenue_usd": float(cur_rev[c]),
                         "scenario_gain_usd": float(gain.mean()), "scenario_gain_lower_90_usd": float(glo),
                         "scenario_gain_upper_90_usd": float(ghi), "note": note})

    def at(mult):
        return np.column_stack([rev_draws(c, float(mult[c])) for c in range(C)])

    add("current", "historical spend, last planning window", S, cur)
    table = tabulate(resp, lower, upper)      # one table of curves serves the three budgets
    opt = allocate(resp, S.sum(), lower, upper, table)
    add("optimal", "optimal split of the same budget", opt["spend"], at(opt["multiplier"]), opt["status"])
    mroi = np.array([resp.marginal_roi(c) if S[c] > 0 else np.nan for c in range(C)])
    src = channels.index(from_channel) if from_channel in channels else int(np.nanargmin(mroi))
    dst = channels.index(to_channel) if to_channel in channels else int(np.nanargmax(mroi))
    amt = min(float(reallocation_usd), float(S[src]))
    mult = np.ones(C)
    mult[src] -= amt / S[src]
    mult[dst] += amt / S[dst]
    add("reallocate", f"move {amt:,.0f} USD from {channels[src]} to {channels[dst]}",
        S * mult, at(mult), f"{channels[src]}->{channels[dst]}")
    for sign, sid in ((-1, "budget_minus_20pct"), (1, "budget_plus_20pct")):
        a = allocate(resp, S.sum() * (1 + sign * budget_change), lower, upper, table)
        add(sid, f"optimal split of the budget {sign * budget_change:+.0%}", a["spend"], at(a["multiplier"]),
            a["status"])
    n_win = max(int(resp.window.sum()), 1)
    gm = resp.group_mask if group_mask is None else group_mask
    on_rate = (pulse_on + pulse_off) / pulse_on
    pattern = np.array([(on_rate if (w % (pulse_on + pulse_off)) < pulse_on else 0.0)
                        for w in range(flight_weeks)])
    pattern *= flight_weeks / pattern.sum()
    flights = {}
    for sid, shape in (("flight_always_on", np.ones(flight_weeks)), ("flight_pulsed", pattern)):
        spend = S / n_win * flight_weeks
        flights[sid] = (spend, np.column_stack([flight_draws(c, spend[c] / flight_weeks * shape)
                                                for c in range(C)]))
    # a flight plan is compared with the always-on plan of the same total, not with history
    base_flight = flights["flight_always_on"][1]
    for sid, (spend, rev) in flights.items():
        add(sid, f"{flight_weeks}-week plan, " + ("even weekly spend" if sid.endswith("on")
            else f"{pulse_on} weeks on / {pulse_off} off"), spend, rev, base=base_flight)
    return pd.DataFrame(rows), opt
