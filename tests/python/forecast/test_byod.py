"""Bring-your-own-data forecasting (`python -m media_impact.forecast fit`): the input contract
case by case (exit code 2, one message naming the file or YAML, the column, the rule and
example rows; no traceback) and the entry's behaviour (own origins, season, future spend,
forecast-only mode, the shipped example)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from media_impact.forecast.__main__ import main, read_inputs
from media_impact.forecast.config import load_config
from media_impact.forecast.inputs import min_history_weeks

ROOT = Path(__file__).resolve().parents[3]


def _sales(n=100, n_future=13, series=("a", "b"), seed=0):
    """Long weekly file: n weeks of units per series, then n_future rows with units empty."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2022-01-03", periods=n + n_future, freq="7D")
    rows = []
    for k, s in enumerate(series):
        t = np.arange(n + n_future)
        mu = 200 * (k + 1) * (1 + 0.3 * np.sin(2 * np.pi * t / 52))
        units = rng.poisson(mu).astype(object)
        units[n:] = ""
        rows.append(pd.DataFrame({"store": s, "week": weeks.strftime("%Y-%m-%d"), "units": units,
                                  "spend": rng.uniform(50, 150, n + n_future).round(2).astype(object),
                                  "promo": (rng.random(n + n_future) < 0.1).astype(int)}))
    return pd.concat(rows, ignore_index=True)


def _write(tmp_path, df, cfg_edit=None, forecast=None):
    df.to_csv(tmp_path / "sales.csv", index=False)
    cfg = {"name": "t", "data": {"path": "sales.csv", "series_column": "store", "date_column": "week",
                                 "units_column": "units", "spend_columns": ["spend"], "future_columns": ["promo"],
                                 "country_id": "us"},
           "forecast": {"horizon_weeks": 13, "season_length_weeks": 52, **(forecast or {})}}
    if cfg_edit:
        cfg_edit(cfg)
    (tmp_path / "f.yml").write_text(yaml.safe_dump(cfg))
    return str(tmp_path / "f.yml")


def _set(df, col, i, v):
    df.loc[i, col] = v
    return df


CASES = {
    "missing column": (lambda d: d.drop(columns=["spend"]), None, ["'spend' (spend_columns)", "The file has"]),
    "misspelt data key": (None, lambda c: c["data"].__setitem__("unit_column", c["data"].pop("units_column")),
                          ["unknown key 'unit_column'", "did you mean 'units_column'"]),
    "misspelt forecast key": (None, lambda c: c["forecast"].__setitem__("season_length", 52),
                              ["unknown key 'season_length' in forecast", "did you mean 'season_length_weeks'"]),
    "units as text": (lambda d: _set(d, "units", 3, "1,204"), None,
                      ["column 'units'", "a number in every row", "row 5", "1,204"]),
    "units n/a in history": (lambda d: _set(d, "units", 7, "n/a"), None, ["column 'units'", "row 9", "n/a"]),
    "empty units inside the history": (lambda d: _set(d, "units", 20, ""), None,
                                       ["column 'units'", "empty cells", "row 22"]),
    "spend as text": (lambda d: _set(d, "spend", 105, "$1,000"), None, ["column 'spend'", "row 107", "$1,000"]),
    "empty future spend cell": (lambda d: _set(d, "spend", 110, ""), None, ["column 'spend'", "row 112", "empty"]),
    "week labels": (lambda d: _set(d, "week", 2, "Week 3"), None, ["column 'week'", "do not parse", "Week 3"]),
    "ambiguous dates": (lambda d: d.assign(week=pd.to_datetime(d.week).dt.strftime("%m/%d/%Y")).pipe(
        lambda x: x[pd.to_datetime(x.week).dt.day <= 12]), None, ["ambiguous", "date_format"]),
    "duplicate week": (lambda d: pd.concat([d, d.iloc[[10]]]).reset_index(drop=True), None,
                       ["one row per week and series", "share a week", "row 12"]),
    "gap": (lambda d: d.drop(index=20).reset_index(drop=True), None,
            ["consecutive weeks", "for series 'a'", "14 days"]),
    "negative spend": (lambda d: _set(d, "spend", 4, -7.5), None, ["column 'spend'", "never negative", "row 6"]),
    "negative units": (lambda d: _set(d, "units", 4, -3), None, ["column 'units'", "never negative", "row 6"]),
    "too little history": (lambda d: d.groupby("store").tail(60 + 13).reset_index(drop=True), None,
                           ["at least 91 weeks of history", "'a' (60 weeks)", "season"]),
    "empty series id": (lambda d: _set(d, "store", 5, ""), None, ["column 'store'", "row 7"]),
    "horizon not a number": (None, lambda c: c["forecast"].__setitem__("horizon_weeks", "13w"),
                             ["forecast.horizon_weeks", "whole number"]),
    "spend columns not a list": (None, lambda c: c["data"].__setitem__("spend_columns", "spend"),
                                 ["data.spend_columns must be a list"]),
    "series column missing from the yaml": (None, lambda c: c["data"].pop("series_column"),
                                            ["data.series_column is required"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, case):
    edit, cfg_edit, needles = CASES[case]
    df = _sales()
    rc = main(["fit", "--no-backtest", "--config", _write(tmp_path, edit(df) if edit else df, cfg_edit)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and err.startswith("input error: ")
    for needle in needles:
        assert needle in err, (needle, err)


def test_minimum_history_is_stated_from_the_settings():
    """One season + one horizon + the calibration origins (2 x 13), and the backtest's 52 weeks."""
    cfg = load_config()
    assert min_history_weeks(cfg, backtest=False) == 52 + 13 + 26
    assert min_history_weeks(cfg, backtest=True) == 52 + 13 + 26 + 52
    assert min_history_weeks(load_config(season_length_weeks=26), backtest=False) == 26 + 13 + 26


def test_missing_files_and_invalid_yaml(tmp_path, capsys):
    assert main(["fit", "--config", str(tmp_path / "absent.yml")]) == 2
    assert "config file not found" in capsys.readouterr().err
    path = _write(tmp_path, _sales(), lambda c: c["data"].__setitem__("path", "nope.csv"))
    assert main(["fit", "--config", path]) == 2
    err = capsys.readouterr().err
    assert "data file not found" in err and "nope.csv" in err
    (tmp_path / "bad.yml").write_text("data: [unclosed")
    assert main(["fit", "--config", str(tmp_path / "bad.yml")]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_date_format_reads_day_first_dates(tmp_path):
    df = _sales().assign(week=lambda d: pd.to_datetime(d.week).dt.strftime("%d/%m/%Y"))
    path = _write(tmp_path, df, lambda c: c["data"].__setitem__("date_format", "%d/%m/%Y"))
    _, _, features, _ = read_inputs(path, backtest=False)
    first = features.groupby("market_id")["week_start"].min()
    assert (first == pd.Timestamp("2022-01-03")).all()


def test_country_comes_from_the_config_or_a_column_never_from_the_id(tmp_path):
    df = _sales(series=("us_east", "ca_west"))
    _, _, features, _ = read_inputs(_write(tmp_path, df), backtest=False)
    assert set(features["country_id"]) == {"us"}               # data.country_id
    _, _, features, _ = read_inputs(_write(tmp_path, df, lambda c: c["data"].pop("country_id")), backtest=False)
    assert set(features["country_id"]) == {"all"}              # neither given: one total, no guess from 'us_east'
    df["region"] = np.where(df["store"] == "us_east", "north", "south")
    _, _, features, _ = read_inputs(_write(tmp_path, df, lambda c: (c["data"].pop("country_id"),
                                                                    c["data"].__setitem__("country_column", "region"))),
                                    backtest=False)
    assert features.groupby("market_id")["country_id"].first().to_dict() == {"ca_west": "south", "us_east": "north"}


def test_season_length_reaches_the_model(tmp_path):
    """`season_length_weeks: 26` makes "last year's units" the units 26 weeks earlier."""
    from media_impact.forecast.pipeline import Stage

    path = _write(tmp_path, _sales(n=80), forecast={"season_length_weeks": 26})
    _, settings, features, _ = read_inputs(path, backtest=False)
    assert settings["season_length_weeks"] == 26
    stage = Stage(features, settings)
    idx = stage.design.index.dropna(subset=["units_last_year"])
    units = stage.panel.set_index(["series_id", "week_start"])["units"]
    back = units.reindex(pd.MultiIndex.from_arrays([idx["series_id"], idx["week_start"] - pd.Timedelta(weeks=26)]))
    assert np.allclose(idx["units_last_year"].to_numpy(), back.to_numpy())


def test_each_series_is_forecast_from_its_own_last_week(tmp_path, capsys):
    """Series 'b' ends a week early: it is forecast from its own last week, 'a' from its own."""
    df = _sales()
    last_b = df.index[(df["store"] == "b") & (df["units"] != "")][-1]
    df.loc[last_b, "units"] = ""
    out_dir = tmp_path / "out"
    rc = main(["fit", "--no-backtest", "--config", _write(tmp_path, df), "--out", str(out_dir)])
    assert rc == 0, capsys.readouterr().err
    fc = pd.read_csv(out_dir / "forecast_forecast.csv", parse_dates=["forecast_origin_week", "week_start"])
    origins = fc.groupby("series")["forecast_origin_week"].first()
    weeks = pd.date_range("2022-01-03", periods=100, freq="7D")
    assert origins["a"] == weeks[-1] and origins["b"] == weeks[-2]
    assert fc.groupby("series")["horizon"].apply(sorted).apply(lambda h: h == list(range(1, 14))).all()
    assert (fc["p10"] <= fc["p50"]).all() and (fc["p50"] <= fc["p90"]).all()


def test_missing_future_spend_is_warned_and_filled(tmp_path, capsys):
    df = _sales(n_future=0)
    out_dir = tmp_path / "out"
    rc = main(["fit", "--no-backtest", "--config", _write(tmp_path, df), "--out", str(out_dir)])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "warning: spend, promo not given for the future weeks of 2 series" in err
    assert "'a' (13 of 13 weeks)" in err and "mean over its last 13 weeks" in err
    assert len(pd.read_csv(out_dir / "forecast_forecast.csv")) == 2 * 13
    assert "[forecast] calibration origin 1/2" in err and "[forecast] final fit" in err   # progress


def test_forecast_only_skips_the_backtest(tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert main(["fit", "--no-backtest", "--config", _write(tmp_path, _sales()), "--out", str(out_dir)]) == 0
    err = capsys.readouterr().err
    assert "backtest origin" not in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["forecast_forecast.csv", "forecast_national.csv"]


def test_the_shipped_example_runs_from_a_fresh_clone(tmp_path):
    """README: the command works with nothing outside the repository; the backtest beats seasonal
    naive by 20% and the P50 is within 15% (WAPE) of the generator's expected units."""
    r = subprocess.run([sys.executable, "-m", "media_impact.forecast", "fit", "--config",
                        str(ROOT / "examples/forecast/forecast.yml"), "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "warning" not in r.stderr
    m = pd.read_csv(tmp_path / "forecast_backtest_metrics.csv")
    overall = m.loc[m["series"] == "__overall__"].set_index("model")
    assert overall.at["global_hgb", "mase"] <= 0.8 * overall.at["seasonal_naive", "mase"]
    fc = pd.read_csv(tmp_path / "forecast_forecast.csv").merge(
        pd.read_csv(ROOT / "examples/forecast/truth.csv"), left_on=["series", "week_start"], right_on=["series", "week"])
    assert len(fc) == 12 * 13
    assert (fc["p50"] - fc["expected_units"]).abs().sum() / fc["expected_units"].sum() < 0.15


def test_the_example_files_are_the_generators_output(tmp_path):
    from media_impact.forecast.synthetic import example_files

    sales, truth = example_files()
    sales.to_csv(tmp_path / "sales.csv", index=False)
    truth.to_csv(tmp_path / "truth.csv", index=False)
    for name in ("sales.csv", "truth.csv"):
        assert (tmp_path / name).read_text() == (ROOT / "examples/forecast" / name).read_text()
