#!/usr/bin/env bash
# The benchmark. Builds Gatehouse in release mode, generates the large tenant
# (100,000 users, 10,000 packages, 1,000,000 assignments ...) on SQLite and on
# a local PostgreSQL, drives the server with wrk over signed-in sessions at 1,
# 8 and 32 clients, times the expiration and reminder jobs, and prints the
# results tables; then measures provisioning into a local slapd (reconciling
# 10,000 linked groups, the worker's throughput, approve-and-provision
# latency). Installs wrk, PostgreSQL and slapd from Debian's packages if missing.
#
#   bash tests/bench.sh                 # the full run (about 30 minutes)
#   GATEHOUSE_BENCH_SCALE=0.1 GATEHOUSE_BENCH_SECONDS=3 bash tests/bench.sh   # a quick look
#   GATEHOUSE_BENCH_ONLY=provision bash tests/bench.sh   # provisioning only
#   GATEHOUSE_BENCH_ONLY=import bash tests/bench.sh      # the LDAP import only
#   GATEHOUSE_BENCH_ONLY=review bash tests/bench.sh      # an access review of 10,000 holders only
#   GATEHOUSE_BENCH_ONLY=load bash tests/bench.sh        # the tenant and the wrk scenarios only
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/target/bench
SCALE=${GATEHOUSE_BENCH_SCALE:-1}
SECS=${GATEHOUSE_BENCH_SECONDS:-10}
PG_PORT=${GATEHOUSE_BENCH_PG_PORT:-55434}
# "provision" runs only the provisioning part (about 12 minutes).
ONLY=${GATEHOUSE_BENCH_ONLY:-all}
log() { printf '[bench] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapwhoami >/dev/null 2>&1 || need+=(ldap-utils)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  as_root apt-get update -qq
  # slapd's package would configure a server of its own: we run ours.
  echo "slapd slapd/no_configuration boolean true" | as_root debconf-set-selections
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

log "building (release)"
cargo build --release --locked --bins
BENCH=$ROOT/target/release/gatehouse-bench
mkdir -p "$WORK"

PGDATA=$(mktemp -d /tmp/gatehouse-bench-pg.XXXXXX)
LDAP_DIR=$(mktemp -d /tmp/gatehouse-bench-ldap.XXXXXX)
LDAP_PID=
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [ -n "$LDAP_PID" ]; then
    kill "$LDAP_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$LDAP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$LDAP_PID" 2>/dev/null || true
  fi
  rm -rf "$LDAP_DIR"
  if [ -f "$PGDATA/data/postmaster.pid" ]; then
    run_pg "$PGBIN/pg_ctl" -D "$PGDATA/data" stop -m fast >/dev/null 2>&1 || true
  fi
  rm -rf "$PGDATA"
}
trap cleanup EXIT

{
  echo "Gatehouse benchmark, $(date -u +%Y-%m-%d), scale $SCALE, ${SECS}s per scenario"
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
  echo
} | tee "$WORK/results.md"

if [ "$ONLY" = all ] || [ "$ONLY" = load ]; then
  log "SQLite: generating"
  rm -f "$WORK"/bench.db*
  "$BENCH" generate --database-url "sqlite://$WORK/bench.db" --scale "$SCALE" | tee -a "$WORK/results.md"
  log "SQLite: load"
  "$BENCH" load --database-url "sqlite://$WORK/bench.db" --seconds "$SECS" --label SQLite | tee -a "$WORK/results.md"
fi
if [ "$ONLY" = all ]; then
  log "SQLite: batch jobs"
  "$BENCH" batch --database-url "sqlite://$WORK/bench.db" | tee -a "$WORK/results.md"
fi

log "PostgreSQL: starting a throw-away server"
mkdir -p "$PGDATA/sock"
chmod 755 "$PGDATA"
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$PGDATA"; fi
run_pg "$PGBIN/initdb" -D "$PGDATA/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$PGBIN/pg_ctl" -D "$PGDATA/data" -l "$PGDATA/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDATA/sock -c shared_buffers=512MB -c max_connections=200 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top" start >/dev/null
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
if [ "$ONLY" = all ] || [ "$ONLY" = load ]; then
  log "PostgreSQL: generating"
  "$BENCH" generate --database-url "$PG_URL" --scale "$SCALE" | tee -a "$WORK/results.md"
  log "PostgreSQL: load"
  "$BENCH" load --database-url "$PG_URL" --seconds "$SECS" --label PostgreSQL | tee -a "$WORK/results.md"
fi
if [ "$ONLY" = load ]; then
  log "results in $WORK/results.md"
  exit 0
fi
if [ "$ONLY" = all ]; then
  log "PostgreSQL: batch jobs"
  "$BENCH" batch --database-url "$PG_URL" | tee -a "$WORK/results.md"
fi
# ---- an access review of 10,000 holders, each on a fresh database ----
HOLDERS=$(awk "BEGIN { printf \"%d\", 10000 * $SCALE }")
review() { "$BENCH" review --database-url "$1" --holders "$HOLDERS" | tee -a "$WORK/results.md"; }
if [ "$ONLY" = all ] || [ "$ONLY" = review ]; then
  log "SQLite: access review"
  rm -f "$WORK"/review.db*
  review "sqlite://$WORK/review.db"
  log "PostgreSQL: access review"
  run_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres review
  review "postgres://postgres@127.0.0.1:$PG_PORT/review"
fi
if [ "$ONLY" = review ]; then
  log "results in $WORK/results.md"
  exit 0
fi
# ---- provisioning into a local slapd (without the memberof overlay, so that
# loading a million memberships does not also write a million memberOf values) ----
PEOPLE=$(awk "BEGIN { printf \"%d\", 10000 * $SCALE }")
LINKED_GROUPS=$(awk "BEGIN { printf \"%d\", 10000 * $SCALE }")
. tests/slapd.sh
start_slapd "$LDAP_DIR" "${GATEHOUSE_BENCH_LDAP_PORT:-53990}"
provision() {
  "$BENCH" provision --database-url "$1" --label "$2" --ldap-url "$GATEHOUSE_TEST_LDAP_URL" \
    --bind-dn "$GATEHOUSE_TEST_LDAP_BIND_DN" --password "$GATEHOUSE_TEST_LDAP_PASSWORD" \
    --base "$GATEHOUSE_TEST_LDAP_BASE" --people "$PEOPLE" --groups "$LINKED_GROUPS" \
    $( [ "$ONLY" = import ] && echo --only-import ) | tee -a "$WORK/results.md"
}
log "SQLite: provisioning"
rm -f "$WORK"/provision.db*
provision "sqlite://$WORK/provision.db" SQLite
log "PostgreSQL: provisioning"
run_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres provision
provision "postgres://postgres@127.0.0.1:$PG_PORT/provision" PostgreSQL
log "results in $WORK/results.md"
