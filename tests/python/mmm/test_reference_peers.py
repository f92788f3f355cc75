"""Peers' reference files (skipped when ../shared/reference-data is absent)."""
import subprocess
import sys
from pathlib import Path

import pytest

from media_impact.mmm.data import frame_from_csv, load_config, panel_from_frame
from media_impact.mmm.fitting import fit_candidates
from media_impact.mmm.model import Settings

ROOT = Path(__file__).resolve().parents[3]


def test_pymc_example_contributions_within_10pct(reference_data):
    cfg = load_config(ROOT / "config/mmm/pymc_example.yml")
    cfg["data"]["path"] = str(reference_data / "pymc_mmm_example.csv")
    data = panel_from_frame(frame_from_csv(cfg["data"]), cfg["data"])
    res = fit_candidates("pymc", data, Settings.from_dict(cfg["model"]), cfg["candidates"], None, cfg["cv"])
    got = res.model.contributions(res.fit).sum(axis=(0, 1))
    truth = {"x1": 274_848.0, "x2": 65_906.0}   # published with the file (README)
    for c, ch in enumerate(data.channels):
        assert got[c] == pytest.approx(truth[ch], rel=0.10), ch


def test_byod_cli_prints_roi_table(reference_data, tmp_path):
    cfg = (ROOT / "config/mmm/pymc_example.yml").read_text().replace(
        "../../../shared/reference-data/pymc_mmm_example.csv", str(reference_data / "pymc_mmm_example.csv"))
    p = tmp_path / "pymc.yml"
    p.write_text(cfg)
    r = subprocess.run([sys.executable, "-m", "media_impact.mmm", "fit", "--config", str(p),
                        "--bootstrap", "5", "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "channel ROI" in r.stdout and "x1" in r.stdout
    assert (tmp_path / "out" / "mmm_channel_roi.csv").exists()
