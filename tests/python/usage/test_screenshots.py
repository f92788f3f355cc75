"""The dashboard in a real headless browser (Debian's chromium via Playwright): every
page renders whole, with the figures it should show for the built database. The
script installs chromium with apt-get when it is missing; set
MEDIA_IMPACT_SKIP_BROWSER=1 to skip on purpose."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
from screenshots import PAGES, VIEWPORT  # noqa: E402


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR)."""
    return struct.unpack(">II", path.read_bytes()[16:24])


@pytest.fixture(scope="module")
def shots(built_db, tmp_path_factory):
    if os.environ.get("MEDIA_IMPACT_SKIP_BROWSER") == "1":
        pytest.skip("MEDIA_IMPACT_SKIP_BROWSER=1")
    target = Path(built_db).parent / "target"
    target = target if (target / "run_results.json").exists() else Path(os.environ.get("MEDIA_IMPACT_TEST_TARGET", target))
    out = tmp_path_factory.mktemp("shots")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "screenshots.py"), "--db", str(built_db), "--out", str(out),
         "--target-path", str(target), "--install-browser"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    return out, result.stdout, json.loads((out / "metrics.json").read_text())


def test_every_page_is_captured_whole(shots):
    out, stdout, _ = shots
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == len(PAGES)
    assert all(p.stat().st_size > 20_000 for p in pngs), [(p.name, p.stat().st_size) for p in pngs]
    assert stdout.count("ok ") >= len(PAGES)
    heights = {p.stem.split("_", 1)[1]: _png_size(p)[1] for p in pngs}
    # these pages run past one screen: a capture of the first screen only would be VIEWPORT high
    for key in ("roi", "curves", "scenario", "fit"):
        assert heights[key] > VIEWPORT["height"] + 200, heights


def test_pages_show_the_figures_of_the_database(shots, built_db):
    import duckdb

    _, _, shown = shots
    con = duckdb.connect(str(built_db), read_only=True)
    try:
        spend, inc = con.execute("select sum(spend_usd), sum(incremental_revenue_usd) from mmm.mmm_channel_roi "
                                 "where country_id = 'us' and is_preferred").fetchone()
        gain, weeks = con.execute("select max(s.scenario_gain_usd), max(c.window_weeks) from mmm.mmm_scenarios as s "
                                  "inner join mmm.mmm_response_curves as c on s.run_id = c.run_id "
                                  "where s.country_id = 'us' and s.scenario_id = 'reallocate' "
                                  "and s.model_scope = 'panel'").fetchone()
        r2 = con.execute("select r2_train from mmm.mmm_model_runs where country_id = 'us' and is_preferred").fetchone()[0]
        today = con.execute("select sum(c.spend_usd) from mmm.mmm_response_curves as c inner join mmm.mmm_model_runs "
                            "as r on c.run_id = r.run_id where r.is_preferred and c.country_id = 'us' "
                            "and c.is_current_spend").fetchone()[0]
        # the forecast page opens on the first market and retailer of the country
        p50, n_weeks = con.execute(
            "select sum(p50), count(distinct week_start) from forecast.forecast_weekly where country_id = 'us' "
            "and market_id = (select min(market_id) from forecast.forecast_weekly where country_id = 'us') "
            "and retailer_id = (select min(retailer_id) from forecast.forecast_weekly where country_id = 'us')").fetchone()
    finally:
        con.close()
    assert shown["roi"]["Blended ROI, whole history"] == f"{inc / spend:.2f}"
    assert shown["roi"]["Media spend, whole history"] == f"${spend / 1e6:,.2f}M"
    assert shown["scenario"][f"Gain, last {weeks} weeks"] == f"${gain / 1e6:,.2f}M"
    assert shown["fit"]["R² (in-sample)"] == f"{r2:.3f}"
    assert {"Over-credited by last touch", "Under-credited by last touch"} <= set(shown["lenses"])
    assert shown["curves"]["Budget optimised"] == f"${today / 1e6:,.2f}M"  # today's total, last 52 weeks
    assert shown["forecast"][f"Median units, next {n_weeks} weeks"] == f"{p50:,.0f}"
    assert "Tests run" in shown["quality"]
