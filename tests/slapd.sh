# Sourced by tests/run-all.sh and tests/bench.sh: starts an OpenLDAP server of
# our own, with a throw-away mdb database in a directory the caller removes.
#
#   start_slapd DIR PORT [overlays]
#
# It holds the base entry dc=gatehouse,dc=test and the service account
# Gatehouse binds with (cn=gatehouse,…, password gatehouse-secret), which may
# write everywhere. With "overlays", memberof keeps memberOf on the members of
# a groupOfNames and refint drops a deleted entry's DN from the groups (except
# the last member, which groupOfNames requires), as many real directories do;
# the benchmark leaves them out so that loading a million memberships does not
# also write a million memberOf values. Sets LDAP_PID and exports
# GATEHOUSE_TEST_LDAP_URL, _BASE, _BIND_DN and _PASSWORD. Needs a `log`
# function.
start_slapd() {
  local dir=$1 port=$2 overlays=${3:-}
  LDAP_BASE="dc=gatehouse,dc=test"
  LDAP_BIND_DN="cn=gatehouse,$LDAP_BASE"
  LDAP_PASSWORD=gatehouse-secret
  mkdir -p "$dir/db"
  local modules="moduleload back_mdb"
  local stack=""
  if [ "$overlays" = overlays ]; then
    modules="$modules
moduleload memberof
moduleload refint"
    stack="overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint TRUE
overlay refint
refint_attributes member"
  fi
  cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
$modules

database mdb
suffix "$LDAP_BASE"
rootdn "cn=admin,$LDAP_BASE"
rootpw admin-secret
directory $dir/db
maxsize 8589934592
# Imports read every person a page at a time: the service account may read
# past slapd's default limit of 500 entries.
limits dn.exact="$LDAP_BIND_DN" size=unlimited time=unlimited
dbnosync
index objectClass eq
index cn,mail,uid eq,sub
index member eq
$stack
access to attrs=userPassword
  by dn.exact="$LDAP_BIND_DN" write
  by self write
  by anonymous auth
  by * none
access to *
  by dn.exact="$LDAP_BIND_DN" write
  by * read
CONF
  # Seeded offline with slapadd, before slapd opens the database.
  slapadd -q -f "$dir/slapd.conf" <<LDIF
dn: $LDAP_BASE
objectClass: dcObject
objectClass: organization
dc: gatehouse
o: Gatehouse tests

dn: $LDAP_BIND_DN
objectClass: simpleSecurityObject
objectClass: organizationalRole
cn: gatehouse
description: The account Gatehouse binds with
userPassword: $LDAP_PASSWORD
LDIF
  # -d keeps slapd in the foreground, so that it is our child; the level "none"
  # still logs its errors (a busy port, a bad configuration).
  slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" -d none >"$dir/slapd.log" 2>&1 &
  LDAP_PID=$!
  export GATEHOUSE_TEST_LDAP_URL="ldap://127.0.0.1:$port" GATEHOUSE_TEST_LDAP_BASE="$LDAP_BASE" \
    GATEHOUSE_TEST_LDAP_BIND_DN="$LDAP_BIND_DN" GATEHOUSE_TEST_LDAP_PASSWORD="$LDAP_PASSWORD"
  # timeout: ldapwhoami would wait forever on something else answering the port.
  ldap_up() { timeout 1 ldapwhoami -x -H "$GATEHOUSE_TEST_LDAP_URL" -D "$LDAP_BIND_DN" -w "$LDAP_PASSWORD" >/dev/null 2>&1; }
  for _ in $(seq 1 100); do
    ldap_up && break
    kill -0 "$LDAP_PID" 2>/dev/null || break # slapd gave up: a busy port, a bad configuration
    sleep 0.1
  done
  ldap_up || { log "slapd did not start:"; cat "$dir/slapd.log" >&2; exit 1; }
}
