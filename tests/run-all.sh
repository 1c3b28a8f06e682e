#!/usr/bin/env bash
# Runs every test on a fresh machine: installs and starts what the tests need
# (a PostgreSQL server, the OpenID Connect provider in tests/oidc, an SMTP
# sink, an OpenLDAP server, a SCIM 2.0 server and a custom extension
# receiver), then
# `cargo test`. Everything listens on 127.0.0.1 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/target/test-services
PG_PORT=${GATEHOUSE_TEST_PG_PORT:-55432}
OIDC_PORT=${GATEHOUSE_TEST_OIDC_PORT:-59090}
LDAP_PORT=${GATEHOUSE_TEST_LDAP_PORT:-53389}
SCIM_PORT=${GATEHOUSE_TEST_SCIM_PORT:-58081}
HOOKS_PORT=${GATEHOUSE_TEST_HOOKS_PORT:-58082}
RELAY_PORT=${GATEHOUSE_TEST_RELAY_PORT:-52526}

log() { echo "run-all: $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- the module graph: no import cycle, no import up the layers ----
python3 tests/import_graph.py

# ---- install what is missing (Debian packages, npm packages) ----
need=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Only the binaries: the tests run a slapd of their own (below), never the
# system one that dpkg may configure and start.
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapwhoami >/dev/null 2>&1 || need+=(ldap-utils)
command -v curl >/dev/null 2>&1 || need+=(curl)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
(cd tests/oidc && npm ci --no-audit --no-fund --silent)
(cd tests/browser && npm ci --no-audit --no-fund --silent)
# The browser tests drive Debian's Chromium; screenshots land in target/test-artifacts.
export GATEHOUSE_TEST_CHROMIUM
GATEHOUSE_TEST_CHROMIUM=$(command -v chromium)
export GATEHOUSE_TEST_ARTIFACTS="$ROOT/target/test-artifacts"

# ---- start the services ----
pids=()
mkdir -p "$WORK"
# Outside the checkout: the postgres user must be able to reach it.
PGDATA=$(mktemp -d /tmp/gatehouse-pg.XXXXXX)
LDAP_DIR=$(mktemp -d /tmp/gatehouse-ldap.XXXXXX)
# The tests' own files (a SQLite database each, browser profiles) go here and
# leave with the run, so that runs do not fill the disk.
TESTS_TMP=$(mktemp -d /tmp/gatehouse-tests.XXXXXX)
LDAP_PID=
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  if [ -f "$PGDATA/data/postmaster.pid" ]; then
    run_pg "$PGBIN/pg_ctl" -D "$PGDATA/data" stop -m fast >/dev/null 2>&1 || true
  fi
  rm -rf "$PGDATA"
  # slapd takes about a second to close its database after the TERM sent above:
  # wait for it (5 s at most) before removing the files under it.
  if [ -n "$LDAP_PID" ]; then
    for _ in $(seq 1 50); do kill -0 "$LDAP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$LDAP_PID" 2>/dev/null || true
  fi
  rm -rf "$LDAP_DIR" "$TESTS_TMP"
}
trap cleanup EXIT

run_pg() {
  # initdb refuses to run as root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$PGDATA/sock"
chmod 755 "$PGDATA"
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$PGDATA"; fi
run_pg "$PGBIN/initdb" -D "$PGDATA/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
run_pg "$PGBIN/pg_ctl" -D "$PGDATA/data" -l "$PGDATA/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDATA/sock -c fsync=off -c max_connections=400" start >/dev/null
export GATEHOUSE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
log "PostgreSQL on 127.0.0.1:$PG_PORT"

OIDC_PORT=$OIDC_PORT node tests/oidc/provider.mjs >"$WORK/oidc.log" 2>&1 &
OIDC_PID=$!
pids+=($OIDC_PID)
export GATEHOUSE_TEST_OIDC_ISSUER="http://127.0.0.1:$OIDC_PORT"
# Each service gets up to a minute: a cold start on a busy two-core machine
# (node loading its modules right after a build) once took over ten seconds.
for _ in $(seq 1 600); do
  curl -sf -m 1 "$GATEHOUSE_TEST_OIDC_ISSUER/.well-known/openid-configuration" >/dev/null && break
  kill -0 "$OIDC_PID" 2>/dev/null || break
  sleep 0.1
done
curl -sf "$GATEHOUSE_TEST_OIDC_ISSUER/.well-known/openid-configuration" >/dev/null \
  || { log "the OIDC provider did not start:"; cat "$WORK/oidc.log" >&2; exit 1; }
log "OpenID Connect provider at $GATEHOUSE_TEST_OIDC_ISSUER"

# The Python tools come from PyPI into one venv: aiosmtpd (the SMTP sink),
# scim2-server (the SCIM server), scim2-cli (a SCIM client for the tests) and
# scim2-tester (the compliance checker it runs), and standardwebhooks (the
# Standard Webhooks library the custom extension receiver verifies with).
if [ ! -x "$WORK/venv/bin/python" ]; then python3 -m venv "$WORK/venv"; fi
"$WORK/venv/bin/pip" install -q --disable-pip-version-check \
  aiosmtpd==1.4.6 scim2-server==0.8.3 scim2-cli==0.6.0 scim2-tester==0.5.2 standardwebhooks==1.1.0

# An SMTP sink (aiosmtpd) that writes each message into a Maildir.
SMTP_PORT=${GATEHOUSE_TEST_SMTP_PORT:-52525}
MAILDIR="$WORK/maildir"
rm -rf "$MAILDIR"
"$WORK/venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAILDIR" >"$WORK/smtp.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break
  sleep 0.1
done
export GATEHOUSE_TEST_SMTP_URL="smtp+insecure://127.0.0.1:$SMTP_PORT" GATEHOUSE_TEST_MAILDIR="$MAILDIR"
log "SMTP sink on 127.0.0.1:$SMTP_PORT writing to $MAILDIR"

# An SMTP relay that asks for a password (tests/smtp_relay.py, aiosmtpd with
# AUTH required), writing what it accepts into the same Maildir.
RELAY_PASSWORD="relay-$(date +%s)"
"$WORK/venv/bin/python" tests/smtp_relay.py "$RELAY_PORT" "$MAILDIR" "$RELAY_PASSWORD" >"$WORK/relay.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  (exec 3<>"/dev/tcp/127.0.0.1/$RELAY_PORT") 2>/dev/null && break
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$RELAY_PORT") 2>/dev/null \
  || { log "the SMTP relay did not start:"; cat "$WORK/relay.log" >&2; exit 1; }
export GATEHOUSE_TEST_RELAY_ADDRESS="127.0.0.1:$RELAY_PORT" GATEHOUSE_TEST_RELAY_PASSWORD="$RELAY_PASSWORD"
log "SMTP relay with sign-in on 127.0.0.1:$RELAY_PORT"

# An OpenLDAP server of our own (tests/slapd.sh), with the memberof and refint
# overlays; each test makes its own ou=<unique> subtree under the base.
. tests/slapd.sh
start_slapd "$LDAP_DIR" "$LDAP_PORT" overlays
pids+=($LDAP_PID)
log "OpenLDAP on $GATEHOUSE_TEST_LDAP_URL, base $LDAP_BASE"

# A SCIM 2.0 server (scim2-server) keeping Users and Groups in memory. It
# serves under /v2 (and without it), and refuses a request without the token.
export GATEHOUSE_TEST_SCIM_URL="http://127.0.0.1:$SCIM_PORT/v2" GATEHOUSE_TEST_SCIM_TOKEN=gatehouse-scim-token
# The SCIM client and compliance checker (scim2-cli, with scim2-tester) the tests run against Gatehouse.
export GATEHOUSE_TEST_SCIM_CLI="$WORK/venv/bin/scim2"
"$WORK/venv/bin/scim2-server" --hostname 127.0.0.1 --port "$SCIM_PORT" \
  --bearer-token "$GATEHOUSE_TEST_SCIM_TOKEN" >"$WORK/scim.log" 2>&1 &
SCIM_PID=$!
pids+=($SCIM_PID)
scim_up() {
  curl -sf -m 1 -H "Authorization: Bearer $GATEHOUSE_TEST_SCIM_TOKEN" "$GATEHOUSE_TEST_SCIM_URL/ServiceProviderConfig" >/dev/null
}
for _ in $(seq 1 600); do
  scim_up && break
  kill -0 "$SCIM_PID" 2>/dev/null || break # it gave up, on a busy port say
  sleep 0.1
done
scim_up || { log "the SCIM server did not start:"; cat "$WORK/scim.log" >&2; exit 1; }
log "SCIM server at $GATEHOUSE_TEST_SCIM_URL"

# A custom extension's endpoint as a customer would run it
# (tests/webhook_receiver.py): it verifies each call's signature with the
# standardwebhooks library, records it, and answers as a test tells it.
"$WORK/venv/bin/python" tests/webhook_receiver.py "$HOOKS_PORT" >"$WORK/hooks.log" 2>&1 &
HOOKS_PID=$!
pids+=($HOOKS_PID)
export GATEHOUSE_TEST_HOOKS_URL="http://127.0.0.1:$HOOKS_PORT"
for _ in $(seq 1 600); do
  curl -sf -m 1 "$GATEHOUSE_TEST_HOOKS_URL/calls/none" >/dev/null && break
  kill -0 "$HOOKS_PID" 2>/dev/null || break
  sleep 0.1
done
curl -sf -m 1 "$GATEHOUSE_TEST_HOOKS_URL/calls/none" >/dev/null \
  || { log "the custom extension receiver did not start:"; cat "$WORK/hooks.log" >&2; exit 1; }
log "Custom extension receiver at $GATEHOUSE_TEST_HOOKS_URL"

# ---- the tests ----
TMPDIR="$TESTS_TMP" cargo test --locked "$@" 2>&1 | tee "$WORK/cargo-test.log"
# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "%d passed, %d failed, %d skipped\n", p, f, i }' "$WORK/cargo-test.log"
