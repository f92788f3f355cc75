"""The dashboard in a real headless browser (Debian's chromium via Playwright): every
page renders numbers from the built database. The script installs chromium with
apt-get when it is missing; set MEDIA_IMPACT_SKIP_BROWSER=1 to skip on purpose."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_screenshots_show_real_numbers(built_db, tmp_path):
    if os.environ.get("MEDIA_IMPACT_SKIP_BROWSER") == "1":
        pytest.skip("MEDIA_IMPACT_SKIP_BROWSER=1")
    target = Path(built_db).parent / "target"
    target = target if (target / "run_results.json").exists() else Path(os.environ.get("MEDIA_IMPACT_TEST_TARGET", target))
    out = tmp_path / "shots"
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "screenshots.py"), "--db", str(built_db), "--out", str(out),
         "--target-path", str(target), "--install-browser"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 6
    assert all(p.stat().st_size > 20_000 for p in pngs), [(p.name, p.stat().st_size) for p in pngs]
    assert result.stdout.count("ok ") >= 6
