"""The MMM stage on the built marts: bit-for-bit determinism and calibration.

Runs the package entries the dbt models call (``dbt_entry.fit_bundle`` ->
``pipeline.run_marts``, then ``dbt_entry.output_table`` per table) on the marts of the shared ``built_db``, with the sample-world
config trimmed (fewer starts and draws; same code path) to keep the suite quick.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marts import TIMING_COLUMNS, mmm_inputs
from media_impact.mmm import pipeline
from media_impact.mmm.data import load_config, panel_from_frame
from media_impact.mmm.dbt_entry import fit_bundle, output_table, with_test_markets
from media_impact.mmm.fitting import fit_one
from media_impact.mmm.model import Settings

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "config/mmm/sample_world.yml"


@pytest.fixture(scope="module")
def inputs(built_db):
    return mmm_inputs(built_db)


def _trimmed(tmp_path) -> str:
    import yaml

    cfg = load_config(CONFIG)
    cfg.setdefault("model", {}).update({"n_starts": 1, "maxiter": 15})
    cfg["cv"] = {"folds": 1, "horizon_weeks": 13, "refit": "full", "n_starts": 0}
    cfg["sampler"] = {"burn": 20, "draws": 20, "keep": 20}
    p = tmp_path / "mmm_trimmed.yml"
    p.write_text(yaml.safe_dump(cfg))
    return str(p)


@pytest.fixture(scope="module")
def trimmed(inputs, tmp_path_factory):
    """The trimmed config and one ``fit_bundle`` of the built marts with it: the first
    run of every comparison below (each test fits only what it compares against)."""
    cfg = _trimmed(tmp_path_factory.mktemp("mmm_trimmed"))
    bundle = fit_bundle(inputs["design"], inputs["media"], inputs["calibration"], cfg, 5e6,
                        inputs["geo_design"], inputs["retailer_sales"])
    return cfg, bundle


def test_two_runs_identical_except_timing(inputs, trimmed):
    cfg, first = trimmed
    runs = [{t: output_table(t, first) for t in pipeline.TABLES}]
    bundle = fit_bundle(inputs["design"], inputs["media"], inputs["calibration"], cfg,
                        5e6, inputs["geo_design"], inputs["retailer_sales"])
    runs.append({t: output_table(t, bundle) for t in pipeline.TABLES})
    for t in pipeline.TABLES:
        a, b = (r[t].drop(columns=[c for c in TIMING_COLUMNS if c in r[t].columns]) for r in runs)
        assert len(a) > 0, t
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=t)
    # the timing column is the only one left out, and it is there
    assert "fit_seconds" in runs[0]["model_runs"].columns


def test_the_persisted_fit_reads_back_bit_for_bit(inputs, trimmed):
    """What mmm_fit persists is what run_marts returned: every float, bool and date."""
    cfg, bundle = trimmed
    direct = pipeline.run_marts(inputs["design"], inputs["media"], load_config(cfg),
                                with_test_markets(inputs["calibration"], inputs["geo_design"]), 5e6,
                                inputs["retailer_sales"])
    for t in ("channel_roi", "response_curves", "decomposition_weekly"):
        got = output_table(t, bundle).drop(columns=TIMING_COLUMNS, errors="ignore")
        want = direct[t].drop(columns=TIMING_COLUMNS, errors="ignore")
        assert list(got.columns) == list(want.columns), t
        for col in want.columns:
            if col == "week_start":
                assert (pd.to_datetime(got[col]) == pd.to_datetime(want[col])).all()
            elif want[col].dtype.kind == "f":
                np.testing.assert_array_equal(got[col].to_numpy(float), want[col].to_numpy(float), err_msg=f"{t}.{col}")


def test_float_noise_in_the_warehouse_sums_does_not_move_the_fit(inputs, trimmed):
    """Two warehouse builds can differ in the last bits of a parallel sum; with the USD
    inputs on a fixed grid (pipeline.to_grid) the tables stay identical bit for bit."""
    cfg, first = trimmed
    noisy = {k: v.copy() for k, v in inputs.items()}
    rng = np.random.default_rng(0)
    for key, col in (("design", "revenue_usd"), ("media", "spend_usd"), ("retailer_sales", "revenue_usd"),
                     ("calibration", "incremental_revenue_usd")):
        noisy[key][col] = noisy[key][col] * (1.0 + 1e-14 * rng.standard_normal(len(noisy[key])))
    assert not np.array_equal(noisy["design"]["revenue_usd"], inputs["design"]["revenue_usd"])
    runs = []
    for bundle in (first, fit_bundle(noisy["design"], noisy["media"], noisy["calibration"], cfg, 5e6,
                                     noisy["geo_design"], noisy["retailer_sales"])):
        runs.append({t: output_table(t, bundle) for t in ("channel_roi", "channel_parameters")})
    for t in runs[0]:
        pd.testing.assert_frame_equal(runs[0][t], runs[1][t], check_exact=True, obj=t)


def test_calibration_moves_ctv_toward_the_experiment(inputs):
    frame, mapping = pipeline.marts_frame(inputs["design"], inputs["media"], inputs["retailer_sales"])
    data = panel_from_frame(frame, mapping, "market", "us")
    assert data.channel_split == {"retail_media_amazon": "amazon", "retail_media_target": "target",
                                  "retail_media_walmart": "walmart"}
    cal = with_test_markets(inputs["calibration"], inputs["geo_design"])
    exps = pipeline.experiments_from_table(cal, "us", data.channels, data.groups)
    assert len(exps) == 1 and exps[0].channel_id == "ctv" and len(exps[0].groups) == 4
    s = Settings.from_dict({**(load_config(CONFIG).get("model") or {}), "n_starts": 1})
    m0, f0, _ = fit_one(data, s)
    m1, f1, sigma = fit_one(data, s, exps)
    c = data.channels.index("ctv")
    lift0 = m1.experiment_gain(f0.theta, 0) * f0.beta[c]
    lift1 = m1.experiment_gain(f1.theta, 0) * f1.beta[c]
    target = exps[0].lift_usd
    # a holdout: the model's lift has the experiment's sign, and calibration moves it closer
    assert np.sign(lift0) == np.sign(target) < 0
    assert abs(lift1 - target) < abs(lift0 - target)
    roi0, roi1 = m0.response(f0).roi(c), m1.response(f1).roi(c)
    # like for like (the test's markets and weeks): when the experiment found a larger
    # effect than the uncalibrated model predicts there, calibration raises CTV's ROI,
    # and lowers it when the experiment found less. (Comparing the in-window iROAS with
    # the whole-window ROI instead would mix carryover definitions.)
    assert (abs(target) > abs(lift0)) == (roi1 > roi0), (target, lift0, roi0, roi1)


def test_an_unchanged_rebuild_reuses_the_fit(inputs, trimmed):
    """The last build's rows come back as they are (fit_status 'reused') when inputs,
    config and code are unchanged; one changed spend cell, or another reallocation
    amount, refits."""
    cfg, first = trimmed
    args = (inputs["design"], inputs["media"], inputs["calibration"], cfg, 5e6, inputs["geo_design"],
            inputs["retailer_sales"])
    assert (first.fit_status == "fitted").all() and first.input_fingerprint.nunique() == 1
    again = fit_bundle(*args, previous=first)
    assert (again.fit_status == "reused").all()
    pd.testing.assert_frame_equal(again.drop(columns="fit_status"), first.drop(columns="fit_status"))
    assert (output_table("model_runs", again).fit_status == "reused").all()
    media = inputs["media"].copy()
    media.loc[media.index[0], "spend_usd"] = float(media["spend_usd"].iloc[0]) + 1.0
    changed = fit_bundle(args[0], media, *args[2:], previous=first)
    assert (changed.fit_status == "fitted").all()
    assert changed.input_fingerprint.iloc[0] != first.input_fingerprint.iloc[0]
    other_amount = fit_bundle(*args[:4], 4e6, *args[5:], previous=first)
    assert (other_amount.fit_status == "fitted").all()


def test_a_dbt_rebuild_with_unchanged_inputs_reuses_the_fit(built_db, tmp_path):
    """Issue 12: `dbt build` of the MMM models on a copy of the built file, inputs
    unchanged, refits nothing (fit_status 'reused' in the run registry) and gives the
    same tables."""
    import duckdb
    from conftest import rebuild_copy

    db = rebuild_copy(built_db, tmp_path, "mmm_fit+")
    before, after = duckdb.connect(str(built_db), read_only=True), duckdb.connect(str(db), read_only=True)
    try:
        assert set(after.sql("select fit_status from mmm.mmm_model_runs").df().fit_status) == {"reused"}
        for t in ("mmm_channel_roi", "mmm_scenarios", "mmm_response_curves"):
            a, b = (c.sql(f"select * from mmm.{t}").df() for c in (before, after))
            pd.testing.assert_frame_equal(a, b, obj=t)
    finally:
        before.close()
        after.close()
