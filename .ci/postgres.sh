#!/usr/bin/env bash
# Start a PostgreSQL server on 127.0.0.1 for the sync tests, installing
# Debian's postgresql package first when it is missing. Safe to run again:
# an existing cluster is reused and only started when it is down.
#
# Prints the line "export SMSCONFIRM_TEST_PG_URL=..." on standard output;
# everything else goes to standard error. Use it as
#     eval "$(sudo bash .ci/postgres.sh)"
# The server keeps running afterwards; stop it with
#     pg_ctlcluster <version> smsconfirm_test stop
set -euo pipefail

PORT="${SMSCONFIRM_TEST_PG_PORT:-54329}"
CLUSTER=smsconfirm_test
ROLE=smsconfirm
PASSWORD=smsconfirm-test   # a test-only server on loopback, no real data
DATABASE=smsconfirm_test

say() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    say "run this as root (it installs a package and starts a server as the postgres user)"
    exit 1
fi

if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    say "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"

if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $CLUSTER"; then
    say "creating cluster $VERSION/$CLUSTER on port $PORT"
    pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" >&2
fi
# Written on every run, so that a changed setting here reaches an existing
# cluster too. Loopback only: the server is for tests.
cat > "/etc/postgresql/$VERSION/$CLUSTER/conf.d/smsconfirm-test.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '/var/run/postgresql'
CONF

if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}' | grep -qx online; then
    say "starting cluster $VERSION/$CLUSTER"
    install -d -o postgres -g postgres /var/run/postgresql
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')"

as_postgres() { runuser -u postgres -- "$@"; }

for _ in $(seq 1 30); do
    if as_postgres pg_isready -q -h 127.0.0.1 -p "$PORT"; then
        break
    fi
    sleep 1
done
as_postgres pg_isready -h 127.0.0.1 -p "$PORT" >&2

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -h /var/run/postgresql "$@"; }

if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" ]; then
    psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]; then
    psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE" >&2
fi

echo "export SMSCONFIRM_TEST_PG_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
