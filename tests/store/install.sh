#!/usr/bin/env bash
# Installs and starts what the store's PostgreSQL tests need (run as root on Debian):
#   - Debian's `postgresql` package, when no PostgreSQL server programs are installed;
#   - a throw-away server of our own (initdb into $BOUNCEWISE_PG_DIR, default
#     /var/tmp/bouncewise-test-pg, run as the postgres user) listening on 127.0.0.1 only,
#     port $BOUNCEWISE_PG_PORT (default 54329), so the system's own cluster is left alone;
#   - a role and database "bouncewise_test" (trust authentication on loopback).
# It writes the URL to tests/store/.pg-url, where the tests read it (env BOUNCEWISE_TEST_PG wins).
# Idempotent: a server already running is reused. The tests skip when this fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${BOUNCEWISE_PG_DIR:-/var/tmp/bouncewise-test-pg}
PORT=${BOUNCEWISE_PG_PORT:-54329}
URL_FILE=tests/store/.pg-url
URL="postgresql://bouncewise_test@127.0.0.1:${PORT}/bouncewise_test"

bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

if ! BIN=$(bindir); then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "store/install.sh: PostgreSQL is not installed and this is not root with apt-get; PostgreSQL tests will skip" >&2
    exit 1
  fi
  echo "store/install.sh: installing Debian's postgresql (the store's tests run against a real PostgreSQL server)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BIN=$(bindir)
fi

RUNAS=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  RUNAS=(runuser -u postgres --)
fi

if ! "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  if [ ! -f "$DIR/PG_VERSION" ]; then
    echo "store/install.sh: creating a test PostgreSQL server in $DIR (127.0.0.1:$PORT)"
    mkdir -p "$DIR"
    [ "$(id -u)" = "0" ] && chown postgres: "$DIR"
    chmod 700 "$DIR"
    "${RUNAS[@]}" "$BIN/initdb" -D "$DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DIR -c fsync=off -c max_connections=50" start >/dev/null
fi

PSQL=("${RUNAS[@]}" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='bouncewise_test'")" != "1" ]; then
  "${PSQL[@]}" -c "CREATE ROLE bouncewise_test LOGIN"
fi
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname='bouncewise_test'")" != "1" ]; then
  "${PSQL[@]}" -c "CREATE DATABASE bouncewise_test OWNER bouncewise_test"
fi
echo "$URL" > "$URL_FILE"
echo "store prerequisites ready: PostgreSQL at $URL ($("$BIN/postgres" --version))"
