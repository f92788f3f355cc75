#!/usr/bin/env bash
# Start a throwaway local PostgreSQL cluster for the portability run.
#
# Installs PostgreSQL from Debian's packages if initdb/pg_ctl are missing,
# initialises a cluster in MEDIA_IMPACT_PG_DIR (default /tmp/media_impact_pg),
# starts it on a free loopback port, creates database `media_impact`, and
# prints the environment to use (also written to $MEDIA_IMPACT_PG_DIR/env.sh):
#
#   eval "$(scripts/postgres_up.sh)"
#   MEDIA_IMPACT_TARGET=postgres .venv/bin/dbt build --profiles-dir profiles ...
#   scripts/postgres_down.sh
#
# Running it again while the cluster is up reuses it. As root, the server runs
# as the `postgres` system user (created if missing), since postgres refuses root.
set -euo pipefail

PG_DIR="${MEDIA_IMPACT_PG_DIR:-/tmp/media_impact_pg}"
PG_DB="${MEDIA_IMPACT_PG_DATABASE:-media_impact}"
DATA="$PG_DIR/data"
LOG="$PG_DIR/server.log"

log() { echo "postgres_up: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_bindir() {
    local d
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    fi
    # Debian keeps the server binaries out of PATH, one folder per major version
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

BIN="$(find_bindir || true)"
if [ -z "$BIN" ]; then
    [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and we are not root to apt-get it"
    log "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql postgresql-client >&2
    BIN="$(find_bindir)" || die "PostgreSQL still not found after apt-get install"
fi

# postgres refuses to run as root: run the server as an unprivileged user
if [ "$(id -u)" = 0 ]; then
    PG_OS_USER="${MEDIA_IMPACT_PG_OS_USER:-postgres}"
    if ! id "$PG_OS_USER" >/dev/null 2>&1; then
        log "creating system user $PG_OS_USER"
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }
else
    PG_OS_USER="$(id -un)"
    as_pg() { "$@"; }
fi

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

print_env() {
    local port="$1"
    cat > "$PG_DIR/env.sh" <<ENV
export PGHOST=127.0.0.1
export PGPORT=$port
export PGUSER=postgres
export PGPASSWORD=
export PGDATABASE=$PG_DB
export MEDIA_IMPACT_PG_DIR=$PG_DIR
ENV
    cat "$PG_DIR/env.sh"
}

# already running? reuse it
if [ -f "$DATA/postmaster.pid" ] && [ -f "$PG_DIR/port" ]; then
    PORT="$(cat "$PG_DIR/port")"
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
        log "reusing the running cluster in $PG_DIR on port $PORT"
        print_env "$PORT"
        exit 0
    fi
fi

mkdir -p "$PG_DIR"
chmod 755 "$PG_DIR"
if [ "$(id -u)" = 0 ]; then chown "$PG_OS_USER" "$PG_DIR"; fi

if [ ! -f "$DATA/PG_VERSION" ]; then
    log "initdb in $DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
fi

PORT="${MEDIA_IMPACT_PG_PORT:-$(free_port)}"
echo "$PORT" > "$PG_DIR/port"
log "starting postgres ($BIN) on 127.0.0.1:$PORT"
# durability is pointless for a throwaway test cluster: turn it off for speed
if ! as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" >&2; then
    [ -f "$LOG" ] && tail -n 30 "$LOG" >&2
    die "pg_ctl start failed"
fi

if ! "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
        "select 1 from pg_database where datname = '$PG_DB'" | grep -q 1; then
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$PG_DB" || die "createdb $PG_DB failed"
fi
log "ready: database $PG_DB"
print_env "$PORT"
