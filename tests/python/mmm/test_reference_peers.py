"""Peers' reference files (skipped when ../shared/reference-data is absent)."""
import subprocess
import sys
from pathlib import Path

import pytest

import pandas as pd

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def pymc_fit(reference_data, tmp_path_factory):
    """PyMC-Marketing's example fitted through bring-your-own-data with the package
    defaults (its config holds the mapping only), as a user would."""
    tmp = tmp_path_factory.mktemp("pymc")
    cfg = (ROOT / "config/mmm/pymc_example.yml").read_text().replace(
        "../../../shared/reference-data/pymc_mmm_example.csv", str(reference_data / "pymc_mmm_example.csv"))
    p = tmp / "pymc.yml"
    p.write_text(cfg)
    r = subprocess.run([sys.executable, "-m", "media_impact.mmm", "fit", "--config", str(p), "--out", str(tmp / "out")],
                       capture_output=True, text=True, cwd=ROOT)
    return r, tmp / "out"


def test_pymc_example_contributions_within_20pct_and_covered(pymc_fit):
    """The published truth (total contribution on the CSV scale, README of the file): the
    posterior median within 20% and inside the 90% interval, for both channels."""
    r, out = pymc_fit
    assert r.returncode == 0, r.stderr
    roi = pd.read_csv(out / "mmm_channel_roi.csv").set_index("channel_id")
    truth = {"x1": 274_848.0, "x2": 65_906.0}
    for ch, want in truth.items():
        row = roi.loc[ch]
        assert row.contribution_usd == pytest.approx(want, rel=0.20), ch
        assert row.contribution_lower_90_usd <= want <= row.contribution_upper_90_usd, ch


def test_byod_cli_prints_roi_table(pymc_fit):
    r, out = pymc_fit
    assert r.returncode == 0, r.stderr
    assert "channel ROI" in r.stdout and "x1" in r.stdout
    assert (out / "mmm_channel_roi.csv").exists()
