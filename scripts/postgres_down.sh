#!/usr/bin/env bash
# Stop the throwaway cluster started by postgres_up.sh and delete its folder.
# Set MEDIA_IMPACT_PG_KEEP=1 to stop it but keep the data.
set -euo pipefail

PG_DIR="${MEDIA_IMPACT_PG_DIR:-/tmp/media_impact_pg}"
DATA="$PG_DIR/data"

BIN=""
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pg_ctl" ]; then
    BIN="$(pg_config --bindir)"
else
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/pg_ctl" ] && { BIN="$d"; break; }
    done
fi

if [ -f "$DATA/postmaster.pid" ] && [ -n "$BIN" ]; then
    echo "postgres_down: stopping the cluster in $PG_DIR" >&2
    if [ "$(id -u)" = 0 ]; then
        owner="$(stat -c %U "$DATA")"
        runuser -u "$owner" -- "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
    else
        "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
    fi
fi

if [ "${MEDIA_IMPACT_PG_KEEP:-0}" != 1 ] && [ -d "$PG_DIR" ]; then
    # only delete what looks like our cluster folder
    if [ -f "$PG_DIR/port" ] || [ -f "$DATA/PG_VERSION" ]; then
        rm -rf "$PG_DIR"
    fi
fi
echo "postgres_down: done" >&2
