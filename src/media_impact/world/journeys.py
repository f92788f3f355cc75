"""Clean-room user journeys, generated causally (vectorised numpy).

Per user u: latent intent ``i_u ~ N(0, intent_sigma)``; per channel c the number of
touches is ``n_uc ~ Poisson(rate_c * exp(slope_c*i_u) / E[exp(slope_c*i)])`` so
targeted channels (retargeting, search, coupons) reach high-intent users, while
upper-funnel channels (CTV, YouTube) reach users at random. Touch times fall in
the channel's slice [start_c, end_c] of a ``journey_days`` window (upper funnel
early, retargeting late). Conversion::

    logit_u = base_logit + i_u + sum_c lift_c * 1[n_uc > 0]
    converted_u = U_u < sigmoid(logit_u),  converted at day journey_days + U(0, 2)

True incremental conversions of channel c (expected, over the sample)::

    sum_u [ sigmoid(logit_u) - sigmoid(logit_u - lift_c * 1[n_uc > 0]) ]

Last touch credits retargeting for conversions that high intent would have made
anyway, and rarely credits the early CTV/YouTube touches that caused some of them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .spec import load_spec, rng_for


@dataclass
class Journeys:
    touchpoints: pd.DataFrame  # event_id, user_id_hash, event_ts, channel_id
    conversions: pd.DataFrame  # order_id, user_id_hash, conversion_ts, conversion_value_usd
    channel_credit: pd.DataFrame  # truth per channel


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate_journeys(n_users: int, seed: int, spec: dict | None = None) -> Journeys:
    """Touchpoints, conversions and the true channel credit for ``n_users`` users.

    Columns use ``channel_id`` (the feed writer renames to clean-room channel names).
    Cost is O(touchpoints); 10M touchpoints take a few seconds.
    """
    spec = load_spec() if spec is None else spec
    js = spec["journeys"]
    rng = rng_for(seed, f"journeys_{n_users}")
    channel_ids = list(js["channels"])
    params = pd.DataFrame(js["channels"]).T.loc[channel_ids]
    n_ch = len(channel_ids)
    sigma = float(js["intent_sigma"])

    intent = rng.normal(0.0, sigma, n_users)
    first = np.datetime64(js["first_day"], "s")
    last = np.datetime64(js["last_day"], "s")
    span_s = int((last - first) / np.timedelta64(1, "s")) - js["journey_days"] * 86400
    start = first + rng.integers(0, span_s, n_users).astype("timedelta64[s]")

    slope = params["intent_slope"].to_numpy(float)
    rate = params["rate"].to_numpy(float)
    # normalise by E[exp(slope*i)] = exp(slope^2 sigma^2 / 2) so 'rate' stays the mean touches per user
    lam = rate[None, :] * np.exp(slope[None, :] * intent[:, None] - 0.5 * (slope[None, :] * sigma) ** 2)
    counts = rng.poisson(lam)
    exposed = counts > 0

    lift = params["lift"].to_numpy(float)
    logit = js["base_logit"] + intent + exposed @ lift
    prob = _sigmoid(logit)
    converted = rng.random(n_users) < prob
    value = js["value_mean_usd"] * np.exp(rng.normal(-0.5 * js["value_sigma"] ** 2, js["value_sigma"], n_users))
    value = np.round(value, 2)

    # touches: one row per touch, user-major then channel
    flat = counts.ravel()
    pair = np.repeat(np.arange(n_users * n_ch), flat)
    user_of, ch_of = pair // n_ch, pair % n_ch
    t_start = params["start"].to_numpy(float)[ch_of]
    t_end = params["end"].to_numpy(float)[ch_of]
    offset_s = (js["journey_days"] * 86400 * (t_start + (t_end - t_start) * rng.random(len(pair)))).astype(np.int64)
    # one int64 sort key (user, offset in the journey, channel) orders each user's path in time
    order = np.argsort((user_of.astype(np.int64) << 27) | (offset_s << 4) | ch_of, kind="stable")
    user_of, ch_of = user_of[order], ch_of[order]
    touched_at = start[user_of] + offset_s[order].astype("timedelta64[s]")

    conv_users = np.flatnonzero(converted)
    conv_offset = (js["journey_days"] * 86400 + rng.integers(0, 2 * 86400, len(conv_users))).astype("timedelta64[s]")
    converted_at = start[conv_users] + conv_offset

    user_hash = _hex_hashes(rng.integers(0, np.iinfo(np.int64).max, n_users, dtype=np.int64))

    # categoricals: 10M touch rows share n_users strings instead of holding 10M objects
    touchpoints = pd.DataFrame(
        {
            "event_id": np.arange(1, len(user_of) + 1, dtype=np.int64),
            "user_id_hash": pd.Categorical.from_codes(user_of, categories=user_hash),
            "event_ts": touched_at,
            "channel_id": pd.Categorical.from_codes(ch_of, categories=channel_ids),
        }
    )
    conversions = pd.DataFrame(
        {
            "order_id": np.arange(1, len(conv_users) + 1, dtype=np.int64) + 700000000,
            "user_id_hash": user_hash[conv_users],
            "conversion_ts": converted_at,
            "conversion_value_usd": value[conv_users],
        }
    )

    # truth: expected incremental conversions and value per channel
    rows = []
    last_touch = _last_touch_channel(user_of, ch_of, n_users)
    lt_counts = np.bincount(last_touch[conv_users][last_touch[conv_users] >= 0], minlength=n_ch)
    lt_value = np.bincount(
        last_touch[conv_users][last_touch[conv_users] >= 0], weights=value[conv_users][last_touch[conv_users] >= 0], minlength=n_ch
    )
    for k, channel_id in enumerate(channel_ids):
        p_without = _sigmoid(logit - lift[k] * exposed[:, k])
        gain = prob - p_without
        rows.append(
            dict(
                channel_id=channel_id,
                users_touched=int(exposed[:, k].sum()),
                touchpoints=int(counts[:, k].sum()),
                converters_touched=int((exposed[:, k] & converted).sum()),
                true_incremental_conversions=float(gain.sum()),
                true_incremental_value_usd=float((gain * value).sum()),
                last_touch_conversions=int(lt_counts[k]),
                last_touch_value_usd=float(lt_value[k]),
            )
        )
    credit = pd.DataFrame(rows)
    credit["true_credit_share"] = credit.true_incremental_conversions / credit.true_incremental_conversions.sum()
    credit["last_touch_credit_share"] = credit.last_touch_conversions / credit.last_touch_conversions.sum()
    credit["n_users"] = n_users
    credit["n_conversions"] = len(conv_users)
    return Journeys(touchpoints, conversions, credit)


def _hex_hashes(values: np.ndarray) -> np.ndarray:
    """16-hex-character strings of int64 values, vectorised through a byte lookup table."""
    lut = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")
    as_bytes = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    return np.ascontiguousarray(lut[as_bytes]).view("S16").ravel().astype("U16").astype(object)


def _last_touch_channel(user_of: np.ndarray, ch_of: np.ndarray, n_users: int) -> np.ndarray:
    """Channel index of each user's last touch (-1 if none); input sorted by user then time."""
    out = np.full(n_users, -1, dtype=np.int64)
    if len(user_of):
        is_last = np.r_[user_of[1:] != user_of[:-1], True]
        out[user_of[is_last]] = ch_of[is_last]
    return out
