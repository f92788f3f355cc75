"""The SQL the dbt models run (macros/attribution/), executed on DuckDB tables of our own.

The macros are rendered once by dbt (media_impact.attribution.sql) and run on
(1) ChannelAttribution's PathData, for parity with its published heuristics, and
(2) generated clean-room touchpoints and conversions, checked against a plain
Python walk of the journey rules and of the credit formulas.
"""
from __future__ import annotations

from collections import defaultdict

import duckdb
import numpy as np
import pandas as pd
import pytest

from media_impact.attribution.sql import render_macros_sql

LOOKBACK_DAYS = 30
HALF_LIFE_DAYS = 7.0

PUBLISHED_HEURISTICS = {  # ChannelAttribution 2.2.5: first, last, linear
    "alpha": (6308, 8447, 7574.719), "iota": (4606, 3355, 3857.096), "eta": (3164, 4167, 3539.951),
    "beta": (2831, 989, 2083.500), "theta": (1606, 653, 1022.801), "lambda": (902, 1207, 1035.258),
}
PUBLISHED_POSITION_BASED = {"alpha": 7444.824, "iota": 3944.948, "eta": 3618.796}


@pytest.fixture(scope="module")
def sql() -> dict[str, str]:
    journeys, paths, credit = render_macros_sql(
        [
            f"attribution_journey_touches('touchpoints', 'conversions', {LOOKBACK_DAYS})",
            "attribution_paths('journey_touches')",
            f"attribution_heuristic_credit('journey_touches', {HALF_LIFE_DAYS})",
        ]
    )
    return {"journeys": journeys, "paths": paths, "credit": credit}


def _credit_table(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    frame = con.execute(sql).df()
    return frame.pivot(index="channel_id", columns="attribution_model", values="credited_conversions")


# ---------------------------------------------------------------- PathData parity through SQL
@pytest.fixture(scope="module")
def pathdata_con(reference_data) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        f"""
        create table journey_touches as
        with paths as (
            select
                row_number() over () as user_id,
                string_split(path, ' > ') as channels,
                total_conversions,
                total_conversion_value,
                total_null
            from read_csv('{reference_data / "channelattribution_pathdata.csv"}', delim = ';', header = true)
        )
        select
            user_id,
            0 as prior_conversions,
            -1 as journey_window,
            generate_subscripts(channels, 1) as touch_index,
            len(channels) as touch_count,
            trim(unnest(channels)) as channel_id,
            total_conversions as conversions,
            total_conversion_value as conversion_value_usd,
            total_null as null_count,
            0.0 as days_before_end
        from paths
        """
    )
    return con


def test_sql_heuristics_match_channelattribution(sql, pathdata_con):
    credit = _credit_table(pathdata_con, sql["credit"])
    for channel, (first, last, linear) in PUBLISHED_HEURISTICS.items():
        assert abs(credit.loc[channel, "first_touch"] - first) <= 1e-6, channel
        assert abs(credit.loc[channel, "last_touch"] - last) <= 1e-6, channel
        # published to 3 decimals: within half a unit of the last digit
        assert abs(credit.loc[channel, "linear"] - linear) <= 5e-4, channel
    for channel, value in PUBLISHED_POSITION_BASED.items():
        assert abs(credit.loc[channel, "position_based"] - value) <= 5e-4, channel
    assert credit.sum().to_dict() == pytest.approx({m: 19785.0 for m in credit.columns}, abs=1e-6)


def test_sql_heuristics_match_python_on_every_channel(sql, pathdata_con, pathdata):
    """Independent Python of the same formulas, all 12 channels, to 1e-6."""
    expected: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for path, conv in zip(pathdata["path"], pathdata["total_conversions"]):
        tokens = [t.strip() for t in path.split(">")]
        n = len(tokens)
        for i, channel in enumerate(tokens):
            expected[channel]["first_touch"] += conv * (i == 0)
            expected[channel]["last_touch"] += conv * (i == n - 1)
            expected[channel]["linear"] += conv / n
            expected[channel]["time_decay"] += conv / n  # equal times: time decay is linear
            if n == 1:
                w = 1.0
            elif n == 2:
                w = 0.5
            else:
                w = 0.4 if i in (0, n - 1) else 0.2 / (n - 2)
            expected[channel]["position_based"] += conv * w
    credit = _credit_table(pathdata_con, sql["credit"])
    assert set(credit.index) == set(expected)
    for channel, models in expected.items():
        for model, value in models.items():
            assert abs(credit.loc[channel, model] - value) <= 1e-6, (channel, model)


def test_sql_paths_rebuild_pathdata(sql, pathdata_con, pathdata):
    """Distinct-path SQL puts every touch back in order (ordered string aggregation)."""
    paths = pathdata_con.execute(sql["paths"]).df().set_index("path")
    source = pathdata.assign(path=pathdata["path"].str.split(">").map(lambda t: " > ".join(x.strip() for x in t)))
    source = source.groupby("path")[["total_conversions", "total_conversion_value"]].sum()
    assert set(paths.index) == set(source.index)
    np.testing.assert_allclose(paths.loc[source.index, "conversions"], source["total_conversions"], atol=1e-9)
    np.testing.assert_allclose(paths.loc[source.index, "conversion_value_usd"], source["total_conversion_value"], atol=1e-6)


# ---------------------------------------------------------------- generated clean room
def _generate_cleanroom(seed: int, n_users: int = 150) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Touches and conversions with repeat buyers, long gaps and exact ties."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01")
    touches, conversions = [], []
    channels = ["ctv", "search", "social", "email", "retail"]
    tid, cid = 0, 0
    for user in range(n_users):
        n_touch = int(rng.integers(0, 12))
        times = start + pd.to_timedelta(rng.integers(0, 120 * 86400, n_touch), unit="s")
        for t in times:
            tid += 1
            touches.append((tid, f"u{user}", t, channels[int(rng.integers(0, len(channels)))]))
        for _ in range(int(rng.integers(0, 3))):
            cid += 1
            if n_touch and rng.random() < 0.3:  # a conversion at the exact instant of a touch
                when = times[int(rng.integers(0, n_touch))]
            else:
                when = start + pd.Timedelta(seconds=int(rng.integers(0, 120 * 86400)))
            conversions.append((cid, f"u{user}", when, float(np.round(rng.gamma(2, 25), 2))))
    return (
        pd.DataFrame(touches, columns=["touchpoint_id", "user_id", "touched_at", "channel_id"]),
        pd.DataFrame(conversions, columns=["conversion_id", "user_id", "converted_at", "conversion_value_usd"]),
    )


def _expected_journeys(touches: pd.DataFrame, conversions: pd.DataFrame) -> pd.DataFrame:
    """The journey rules walked user by user in plain Python."""
    rows = []
    lookback = pd.Timedelta(days=LOOKBACK_DAYS)
    for user, user_touches in touches.groupby("user_id"):
        convs = conversions.loc[conversions["user_id"] == user].sort_values(["converted_at", "conversion_id"])
        conv_times = list(convs["converted_at"])
        first_event = min([user_touches["touched_at"].min()] + conv_times)
        for t in user_touches.itertuples():
            before = sum(1 for c in conv_times if c < t.touched_at)  # a conversion at the same instant is next
            nxt = convs.iloc[before] if before < len(convs) else None
            if nxt is not None and nxt["converted_at"] - t.touched_at <= lookback:
                rows.append((t.touchpoint_id, user, before, -1, nxt["conversion_id"], t.touched_at, nxt["converted_at"]))
            else:
                anchor = conv_times[before - 1] if before > 0 else first_event
                window = int((t.touched_at - anchor) / lookback)
                rows.append((t.touchpoint_id, user, before, window, None, t.touched_at, None))
    frame = pd.DataFrame(
        rows, columns=["touchpoint_id", "user_id", "prior_conversions", "journey_window", "conversion_id", "touched_at", "converted_at"]
    )
    frame = frame.sort_values(["touched_at", "touchpoint_id"])
    key = ["user_id", "prior_conversions", "journey_window"]
    frame["touch_index"] = frame.groupby(key).cumcount() + 1
    frame["touch_count"] = frame.groupby(key)["touchpoint_id"].transform("size")
    return frame.set_index("touchpoint_id").sort_index()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_journeys_follow_the_rules(sql, seed):
    touches, conversions = _generate_cleanroom(seed)
    con = duckdb.connect()
    con.register("touches_df", touches)
    con.register("conversions_df", conversions)
    con.execute("create table touchpoints as select * from touches_df")
    con.execute("create table conversions as select * from conversions_df")
    got = con.execute(sql["journeys"]).df().set_index("touchpoint_id").sort_index()
    expected = _expected_journeys(touches, conversions)
    assert len(got) == len(touches)
    for column in ["prior_conversions", "journey_window", "touch_index", "touch_count"]:
        np.testing.assert_array_equal(got[column].to_numpy(int), expected[column].to_numpy(int), err_msg=column)
    np.testing.assert_array_equal(got["is_converting"].to_numpy(int), expected["conversion_id"].notna().to_numpy(int))
    converting = expected["conversion_id"].notna()
    np.testing.assert_array_equal(
        got.loc[converting, "conversion_id"].to_numpy(int), expected.loc[converting, "conversion_id"].to_numpy(int)
    )
    # time decay's d: fractional days to the conversion
    days = (expected.loc[converting, "converted_at"] - expected.loc[converting, "touched_at"]).dt.total_seconds() / 86400
    np.testing.assert_allclose(got.loc[converting, "days_before_end"], days, atol=1e-9)


def test_sql_time_decay_credit_on_generated_journeys(sql):
    touches, conversions = _generate_cleanroom(seed=4)
    con = duckdb.connect()
    con.register("touches_df", touches)
    con.register("conversions_df", conversions)
    con.execute("create table touchpoints as select * from touches_df")
    con.execute("create table conversions as select * from conversions_df")
    con.execute(f"create table journey_touches as {sql['journeys']}")
    journeys = con.execute("select * from journey_touches where conversions > 0").df()
    expected: dict[str, float] = defaultdict(float)
    expected_value: dict[str, float] = defaultdict(float)
    for _, journey in journeys.groupby(["user_id", "prior_conversions", "journey_window"]):
        weights = 0.5 ** (journey["days_before_end"] / HALF_LIFE_DAYS)
        weights = weights / weights.sum()
        for channel, w, value in zip(journey["channel_id"], weights, journey["conversion_value_usd"]):
            expected[channel] += w
            expected_value[channel] += w * value
    got = con.execute(sql["credit"]).df().query("attribution_model == 'time_decay'").set_index("channel_id")
    for channel in expected:
        assert got.loc[channel, "credited_conversions"] == pytest.approx(expected[channel], abs=1e-9)
        assert got.loc[channel, "credited_value_usd"] == pytest.approx(expected_value[channel], abs=1e-6)
    assert got["credited_conversions"].sum() == pytest.approx(journeys.groupby(["user_id", "prior_conversions"]).ngroups)
