"""Using a fitted model again (issue 14): save, load, plan without refitting; your own
lift tests from the config; the data's currency in the column labels."""
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from media_impact.mmm.__main__ import main

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The repository's example world, fitted once with --save and --out."""
    d = tmp_path_factory.mktemp("example")
    for f in ("world.csv", "world.yml"):
        shutil.copy(ROOT / "examples/mmm" / f, d / f)
    assert main(["fit", "--config", str(d / "world.yml"), "--out", str(d / "fit"), "--save", str(d / "m.npz")]) == 0
    return d


def test_a_saved_model_plans_as_the_fit_did(example, capsys):
    """Planning on the loaded file (no search, no sampling) gives the fit's own curves,
    allocation and scenarios, intervals included."""
    assert main(["plan", "--model", str(example / "m.npz"), "--out", str(example / "plan")]) == 0
    for t in ("response_curves", "budget_allocation", "scenarios"):
        a = pd.read_csv(example / "fit" / f"mmm_{t}.csv")
        b = pd.read_csv(example / "plan" / f"mmm_{t}.csv")
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, obj=t)
    assert "no refit" in capsys.readouterr().out


def test_a_plan_takes_its_own_move(example, capsys):
    out = example / "plan_move"
    assert main(["plan", "--model", str(example / "m.npz"), "--move", "1000", "--from", "tv", "--to", "search",
                 "--out", str(out)]) == 0
    sc = pd.read_csv(out / "mmm_scenarios.csv")
    move = sc[sc.scenario_id == "reallocate"]
    spend = move.set_index("channel_id").spend_usd - move.set_index("channel_id").current_spend_usd
    assert spend["tv"] == pytest.approx(-1000) and spend["search"] == pytest.approx(1000)
    assert (move.scenario_gain_lower_90_usd <= move.scenario_gain_usd).all()


def test_a_file_that_is_not_a_saved_model_is_refused(tmp_path, capsys):
    bad = tmp_path / "x.npz"
    bad.write_bytes(b"not a zip")
    assert main(["plan", "--model", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not a saved media_impact model" in err and "Traceback" not in err
    assert main(["plan", "--model", str(tmp_path / "absent.npz")]) == 2


def _config(tmp_path, edit) -> str:
    shutil.copy(ROOT / "examples/mmm/world.csv", tmp_path / "world.csv")
    cfg = yaml.safe_load((ROOT / "examples/mmm/world.yml").read_text())
    cfg["sampler"] = {"burn": 20, "draws": 20}
    edit(cfg)
    p = tmp_path / "world.yml"
    p.write_text(yaml.safe_dump(cfg))
    return str(p)


def test_currency_names_the_money_columns(tmp_path, capsys):
    path = _config(tmp_path, lambda c: c["data"].__setitem__("currency", "eur"))
    assert main(["fit", "--config", path, "--out", str(tmp_path / "out")]) == 0
    roi = pd.read_csv(tmp_path / "out" / "mmm_channel_roi.csv")
    assert "spend_eur" in roi.columns and "incremental_revenue_lower_90_eur" in roi.columns
    assert not [c for c in roi.columns if "usd" in c]
    assert "money in EUR" in capsys.readouterr().out


def test_your_own_lift_test_enters_the_fit(tmp_path, capsys):
    """A lift file named in the config is one calibration row of the model
    (n_experiments), and a lift for a channel the config does not map is refused."""
    lifts = pd.DataFrame({"experiment_id": ["e1"], "channel_id": ["tv"], "test_start_date": ["2022-03-07"],
                          "test_end_date": ["2022-04-25"], "incremental_revenue_usd": ["250000"],
                          "incremental_revenue_se_usd": ["60000"]})
    lifts.to_csv(tmp_path / "lifts.csv", index=False)
    path = _config(tmp_path, lambda c: c.__setitem__("calibration", {"path": "lifts.csv"}))
    assert main(["fit", "--config", path, "--out", str(tmp_path / "out")]) == 0
    runs = pd.read_csv(tmp_path / "out" / "mmm_model_runs.csv")
    assert runs.n_experiments.tolist() == [1]
    lifts.assign(channel_id="radio").to_csv(tmp_path / "lifts.csv", index=False)
    assert main(["fit", "--config", path]) == 2
    err = capsys.readouterr().err
    assert "lifts.csv" in err and "channel_id" in err and "radio" in err
    lifts.assign(test_end_date="2025-01-06").to_csv(tmp_path / "lifts.csv", index=False)
    assert main(["fit", "--config", path]) == 2
    assert "inside the data's weeks" in capsys.readouterr().err
    assert np.isfinite(runs.nrmse_train.iloc[0])
