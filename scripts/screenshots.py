"""Open every dashboard page in a real headless browser and save a screenshot of each.

    .venv/bin/python scripts/screenshots.py [--db media_impact.duckdb] [--out screenshots]

Starts `streamlit run dashboard/app.py` on a free loopback port, drives Debian's
Chromium (/usr/bin/chromium, installed with `apt-get install chromium`) through
Playwright, and checks that each page shows real numbers from the database: its
metric tiles must hold digits and no page may show a Python traceback or a
"not built" notice. Exits non-zero, naming the page, when one does not.

Each PNG is the whole page: Streamlit scrolls inside its main container, not the
document, so a plain full-page capture stops at the first screen; the script
grows the window to the container's scroll height before it captures. The
metric tiles of every page (label -> value) are written to ``metrics.json``
beside the PNGs, for tests that compare them with the database.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = ["roi", "lenses", "curves", "scenario", "fit", "forecast", "quality"]
VIEWPORT = {"width": 1400, "height": 1000}
# the height of the content, whichever element scrolls it (Streamlit's main container, or the document)
CONTENT_HEIGHT_JS = """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]',
    '[data-testid="stMainBlockContainer"]'].map(s => document.querySelector(s)).concat([document.scrollingElement])
    .filter(Boolean).map(e => e.scrollHeight))"""
BAD_TEXT = ("Traceback", "is not in this database yet", "The database is not ready", "Error:")


def ensure_chromium() -> bool:
    """Install Debian's chromium (as root, with apt-get) when it is missing."""
    if Path(CHROMIUM).exists():
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("installing chromium from Debian's packages", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"], env=env, check=False)
    return Path(CHROMIUM).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(db: Path, port: int, log_path: Path, target_path: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, MEDIA_IMPACT_DB=str(db), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    if target_path:
        env["DBT_TARGET_PATH"] = str(Path(target_path).resolve())
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "dashboard" / "app.py"),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"streamlit did not answer on port {port} within 60 s; see {log_path}")


def wait_until_rendered(page, timeout_s: float = 60) -> str:
    """Wait for the script run to finish and the charts to draw; return the main area's text."""
    page.wait_for_selector('[data-testid="stMain"] h2, [data-testid="stMain"] h1', timeout=timeout_s * 1000)
    deadline = time.time() + timeout_s
    last, stable = None, 0
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        text = page.inner_text('[data-testid="stMain"]')
        stable = stable + 1 if (text == last and not running) else 0
        if stable >= 3:
            break
        last = text
        time.sleep(0.5)
    # vega-lite charts draw into canvas/svg after the text settles
    try:
        page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=5000)
    except Exception:  # noqa: BLE001 - a page without a chart is fine
        pass
    time.sleep(1.0)
    return page.inner_text('[data-testid="stMain"]')


def capture_whole_page(page, png: Path, max_height: int = 20000) -> int:
    """Grow the window to the content's height, save the PNG, restore the window; return the height."""
    height = min(int(page.evaluate(CONTENT_HEIGHT_JS)) + 40, max_height)
    if height > VIEWPORT["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        time.sleep(1.5)  # charts re-lay out to the new window
        height = min(max(height, int(page.evaluate(CONTENT_HEIGHT_JS)) + 40), max_height)
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        time.sleep(0.5)
    page.screenshot(path=str(png), full_page=True)
    page.set_viewport_size(VIEWPORT)
    return height


def metric_tiles(page) -> dict[str, str]:
    """Label -> value of every metric tile on the page."""
    tiles = {}
    for tile in page.locator('[data-testid="stMetric"]').all():
        label = tile.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        tiles[label] = tile.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return tiles


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=os.environ.get("MEDIA_IMPACT_DB", str(REPO_ROOT / "media_impact.duckdb")))
    ap.add_argument("--out", default=str(REPO_ROOT / "screenshots"))
    ap.add_argument("--target-path", default=os.environ.get("DBT_TARGET_PATH"),
                    help="dbt target folder whose run_results.json the data-quality page shows")
    ap.add_argument("--pages", nargs="*", default=PAGES)
    ap.add_argument("--install-browser", action="store_true",
                    help="apt-get install chromium first if it is missing (as root)")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    db, out = Path(args.db).resolve(), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.install_browser:
        ensure_chromium()
    if not Path(CHROMIUM).exists():
        print(f"no browser at {CHROMIUM}: apt-get install chromium chromium-driver", file=sys.stderr)
        return 2
    port = free_port()
    profile = Path(tempfile.mkdtemp(prefix="media_impact_chromium_"))
    proc = start_streamlit(db, port, out / "streamlit.log", args.target_path)
    problems: list[str] = []
    shown: dict[str, dict[str, str]] = {}
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport=VIEWPORT)
            page = ctx.new_page()
            for i, key in enumerate(args.pages, start=1):
                page.goto(f"http://127.0.0.1:{port}/?page={key}", wait_until="domcontentloaded")
                text = wait_until_rendered(page)
                png = out / f"{i:02d}_{key}.png"
                height = capture_whole_page(page, png)
                shown[key] = metric_tiles(page)
                metrics = list(shown[key].values())
                numeric = [m for m in metrics if re.search(r"\d", m)]
                bad = [b for b in BAD_TEXT if b in text]
                status = "ok" if numeric and not bad else "NO DATA"
                if status != "ok":
                    problems.append(f"{key}: metrics={metrics} bad={bad}")
                print(f"{status:8} {key:9} {png} ({height} px)  metrics: {' | '.join(numeric[:4])}")
            ctx.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
    (out / "metrics.json").write_text(json.dumps(shown, indent=1, ensure_ascii=False))
    if problems:
        print("pages without real numbers:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"{len(args.pages)} pages captured in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
