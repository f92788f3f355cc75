"""Lint is part of the test run: `scripts/lint.sh` (sqlfluff + dbt-score) must pass,
and the sqlfluff config must really reject the style the house rejects."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
SQLFLUFF = [sys.executable, "-m", "sqlfluff"]


def _lint_text(tmp_path: Path, sql: str) -> subprocess.CompletedProcess:
    f = tmp_path / "model.sql"
    f.write_text(sql)
    return subprocess.run(SQLFLUFF + ["lint", "--config", str(REPO_ROOT / ".sqlfluff"), "--format", "json", str(f)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


def test_lint_script_is_clean():
    result = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "lint.sh")], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-10000:] + result.stderr[-4000:]
    assert "lint: clean" in result.stdout


def test_house_style_sql_passes(tmp_path):
    sql = """with deliveries as (
    select * from {{ ref('fct_ad_delivery_daily') }}
),

weekly as (
    select
        {{ dbt.date_trunc('week', 'd.date_day') }} as week_start,
        d.market_id,
        cast(sum(d.spend_usd) as {{ dbt.type_float() }}) as spend_usd,
        {{ try_cast("'1'", 'integer') }} as one
    from deliveries as d
    inner join {{ ref('ref_markets') }} as m on d.market_id = m.market_id
    where d.date_day >= {{ dbt.dateadd('day', -var('lookback_days'), "'2026-01-01'") }}
    group by 1, 2
)

select * from weekly
"""
    result = _lint_text(tmp_path, sql)
    assert result.returncode == 0, result.stdout + result.stderr


def test_off_style_sql_fails(tmp_path):
    sql = "SELECT a.X, count(*) c\nfrom {{ ref('foo') }} a\njoin {{ ref('bar') }} b on a.id = b.id\nwhere a.y <> 1\n"
    result = _lint_text(tmp_path, sql)
    assert result.returncode != 0
    codes = set()
    import json
    for file in json.loads(result.stdout):
        codes |= {v["code"] for v in file["violations"]}
    # uppercase keyword, implicit column/table aliases, bare join, `<>`
    assert {"CP01", "AL01", "AL02", "AM05", "CV01"} <= codes, codes
