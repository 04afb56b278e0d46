#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests (trust authentication on loopback, data
# under /tmp) and prints the URL to export as BATON_TEST_POSTGRES. Installs Debian's
# postgresql package when no server is present. Usage: export BATON_TEST_POSTGRES=$(Scripts/test-postgres.sh)
set -euo pipefail
port="${1:-55432}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || ! [ -x "$bin/pg_ctl" ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
# initdb refuses to run as root: the cluster belongs to an unprivileged user.
run=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
    run=(runuser -u postgres --)
fi
data="/tmp/baton-test-pg-$port"
if ! "${run[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    rm -rf "$data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres "$data"
    "${run[@]}" "$bin/initdb" -D "$data" -A trust -U baton >/dev/null
    "${run[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null
fi
echo "postgres://baton@127.0.0.1:$port/postgres"
