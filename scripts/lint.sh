#!/usr/bin/env bash
# Lint the project: SQL style with sqlfluff (config in .sqlfluff) and dbt
# metadata with dbt-score (config below, as flags: dbt-score reads its config
# only from pyproject.toml, and this keeps the lint settings in one place).
#
#   scripts/lint.sh            lint, exit non-zero on any violation
#   scripts/lint.sh --fix      let sqlfluff fix what it can first
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=".venv/bin"
[ -x "$BIN/sqlfluff" ] || BIN="$(dirname "$(command -v sqlfluff)")"

# SQL we write: models, singular tests, analyses (generic tests and macros are
# Jinja, see .sqlfluffignore)
SQL_PATHS=()
for p in models analyses tests; do
    if find "$p" -name '*.sql' 2>/dev/null | grep -q .; then SQL_PATHS+=("$p"); fi
done

if [ "${1:-}" = "--fix" ] && [ ${#SQL_PATHS[@]} -gt 0 ]; then
    "$BIN/sqlfluff" fix --processes 2 --quiet "${SQL_PATHS[@]}" || true
fi

status=0
if [ ${#SQL_PATHS[@]} -gt 0 ]; then
    echo "== sqlfluff lint ${SQL_PATHS[*]}"
    "$BIN/sqlfluff" lint --processes 2 --format human "${SQL_PATHS[@]}" || status=1
fi

# dbt-score needs a manifest: parse into a private target folder
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== dbt parse (manifest for dbt-score)"
DBT_TARGET_PATH="$work/target" DBT_LOG_PATH="$work/logs" MEDIA_IMPACT_DB="$work/lint.duckdb" \
    "$BIN/dbt" parse --profiles-dir profiles --quiet

# Rules: descriptions (model, columns, seeds), a uniqueness test on every
# table, primary keys declared at column level, reasonable SQL length.
# Off: owners (one team owns the whole project), example SQL in docs (the
# analyses/ folder is the example SQL), macro docs (macros document themselves
# in a header comment).
echo "== dbt-score lint"
"$BIN/dbt-score" lint --manifest "$work/target/manifest.json" \
    --disabled-rule dbt_score.rules.generic.has_owner \
    --disabled-rule dbt_score.rules.generic.seed_has_owner \
    --disabled-rule dbt_score.rules.generic.has_example_sql \
    --disabled-rule dbt_score.rules.macros.macro_has_description \
    --disabled-rule dbt_score.rules.macros.macro_arguments_have_description \
    --disabled-rule dbt_score.rules.macros.macro_name_follows_naming_convention \
    --fail-project-under "${DBT_SCORE_FAIL_PROJECT_UNDER:-9.0}" \
    --fail-any-item-under "${DBT_SCORE_FAIL_ANY_ITEM_UNDER:-7.0}" \
    || status=1

if [ $status -eq 0 ]; then echo "lint: clean"; else echo "lint: FAILED" >&2; fi
exit $status
