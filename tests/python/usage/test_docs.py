"""`dbt docs generate` works on the built database, the dashboard exposure is in the
docs, and every model and mart column is described."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import dbt_env, private_copy

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def docs(built_db, tmp_path_factory):
    work = tmp_path_factory.mktemp("docs")
    # dbt opens its database for writing: a private copy, so other workers keep reading
    env = dbt_env(private_copy(built_db, work / "db"), work, MEDIA_IMPACT_TARGET="duckdb")
    result = subprocess.run([sys.executable, "-m", "dbt.cli.main", "docs", "generate"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    target = work / "target"
    return {
        "target": target,
        "manifest": json.loads((target / "manifest.json").read_text()),
        "catalog": json.loads((target / "catalog.json").read_text()),
    }


def test_docs_site_is_generated(docs):
    assert (docs["target"] / "index.html").stat().st_size > 10_000
    catalog_nodes = docs["catalog"]["nodes"]
    assert any(k.startswith("model.media_impact.fct_") for k in catalog_nodes)
    assert any(k.startswith("model.media_impact.mmm_") for k in catalog_nodes)


def test_dashboard_exposure_is_documented(docs):
    exposure = docs["manifest"]["exposures"]["exposure.media_impact.media_impact_dashboard"]
    assert exposure["description"].strip()
    assert len(exposure["depends_on"]["nodes"]) >= 5


def _models(manifest):
    return {k: v for k, v in manifest["nodes"].items()
            if v["resource_type"] == "model" and v["package_name"] == "media_impact"}


def test_every_model_is_described(docs):
    missing = sorted(v["name"] for v in _models(docs["manifest"]).values() if not v["description"].strip())
    assert not missing, f"models without a description: {missing}"


def test_every_mart_and_output_column_is_described(docs):
    """Marts and Python outputs are what users read: every column of the built table needs a description."""
    manifest, catalog = docs["manifest"], docs["catalog"]["nodes"]
    missing = []
    for uid, node in _models(manifest).items():
        if not node["original_file_path"].startswith(("models/marts/", "python_models/")) or uid not in catalog:
            continue
        documented = {c.lower(): (v.get("description") or "").strip() for c, v in node["columns"].items()}
        for col in catalog[uid]["columns"]:
            if not documented.get(col.lower()):
                missing.append(f"{node['name']}.{col}")
    assert not missing, f"{len(missing)} mart/output columns without a description:\n" + "\n".join(missing)


def test_every_analysis_is_described(docs):
    """The leadership questions show in the docs site with a description and their answer columns."""
    analyses = {v["name"]: v for v in docs["manifest"]["nodes"].values() if v["resource_type"] == "analysis"}
    files = {p.stem for p in (REPO_ROOT / "analyses").glob("*.sql")}
    assert set(analyses) == files
    for name, node in analyses.items():
        assert len(node["description"].split()) >= 15, name
        assert node["columns"] and all(c["description"].strip() for c in node["columns"].values()), name


def test_numbers_quoted_in_the_usage_docs_match_the_build(docs, built_db):
    """Every figure docs/usage.md quotes sits in a marked block whose numbers are rendered from
    the build (`python -m media_impact.usage_figures --write docs/usage.md`); a stale number
    fails here. `dbt docs generate` compiled the analyses the figures come from."""
    import difflib

    import duckdb

    from media_impact import usage_figures as uf

    compiled = docs["target"] / "compiled" / "media_impact" / "analyses"
    con = duckdb.connect(str(built_db), read_only=True)
    try:
        values = uf.figures(con, uf.run_analyses(con, compiled))
        gain, moved = con.execute(
            "select max(scenario_gain_usd), sum(greatest(current_spend_usd - spend_usd, 0)) from mmm.mmm_scenarios "
            "where country_id = 'us' and scenario_id = 'reallocate' and model_scope = 'panel'").fetchone()
        spend, inc = con.execute("select sum(spend_usd), sum(incremental_revenue_usd) from mmm.mmm_channel_roi "
                                 "where country_id = 'us' and is_preferred").fetchone()
    finally:
        con.close()
    # the figures themselves, against the tables directly (not through the analyses)
    assert values["us_gain"] == f"${gain / 1e6:.2f}M" and values["us_moved"] == f"${moved / 1e6:.2f}M"
    assert values["us_roi"] == f"{inc / spend:.2f}"
    text = (REPO_ROOT / "docs" / "usage.md").read_text()
    quoted, rendered = uf.blocks_in(text), uf.render(values)
    assert set(quoted) == set(rendered)
    stale = {name: "\n".join(difflib.unified_diff(quoted[name].splitlines(), rendered[name].splitlines(), lineterm=""))
             for name in rendered if quoted[name] != rendered[name]}
    assert not stale, "docs/usage.md quotes numbers the build no longer gives; run " \
                      "`python -m media_impact.usage_figures --write docs/usage.md`:\n" + "\n".join(stale.values())


def test_the_quoted_blocks_write_no_number_by_hand():
    """Outside the placeholders, the templates hold only these settings and names, not results."""
    import re

    from media_impact import usage_figures as uf

    allowed = {"+-50%", "90%", "P10-P90", "P50", "$5M?", "12 weeks", "R²"}
    for name, template in uf.TEMPLATES.items():
        literal = re.sub(r"\{[a-z0-9_]+\}", "", template)
        for token in allowed:
            literal = literal.replace(token, "")
        assert not re.search(r"\d", literal), (name, re.findall(r"\S*\d\S*", literal))
