#!/usr/bin/env bash
# Development/CI PostgreSQL from Debian packages (no Docker). Idempotent; run as root.
#
#  - installs the `postgresql` package if no server is installed,
#  - starts the newest installed major version's `main` cluster (creating it if missing),
#  - waits for 127.0.0.1:5432, creates role `ledger` (password `ledger`, LOGIN CREATEDB)
#    and database `ledger_test` owned by it, checks password login over TCP,
#  - prints exactly one line on stdout:
#      postgresql://ledger:ledger@127.0.0.1:5432/ledger_test
# Progress goes to stderr. Stop with deploy/postgres/stop.sh.
# Environment: PG_START_TIMEOUT (60 s).
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
PG_ROLE=ledger
PG_PASSWORD=ledger
PG_DB=ledger_test
CLUSTER=main
start_timeout="${PG_START_TIMEOUT:-60}"

exec 3>&1 1>&2 # stdout is reserved for the URL; everything else goes to stderr
log() { printf 'postgres/ensure.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_postgres() { runuser -u postgres -- "$@"; }

# Run a command that may leave a daemon behind with every descriptor above 2 closed,
# so the server never holds the caller's pipes (e.g. the one of `$(ensure.sh)`).
without_extra_fds() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      n=${fd##*/}
      if [[ $n =~ ^[0-9]+$ ]] && ((n > 2)); then eval "exec $n>&-" 2>/dev/null || true; fi
    done
    exec "$@"
  )
}

if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -E bash "${BASH_SOURCE[0]}" "$@" 1>&3
  fi
  die "must run as root (installs packages and manages the cluster)"
fi

cd / # so that commands run as the postgres user can read their working directory

installed_versions() {
  local d
  for d in /usr/lib/postgresql/*/bin/postgres; do
    [[ -x $d ]] && basename "$(dirname "$(dirname "$d")")"
  done | sort -n
}

if [[ -z "$(installed_versions)" ]] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "no PostgreSQL server installed: apt-get install postgresql"
  without_extra_fds apt-get update
  without_extra_fds env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi
ver="$(installed_versions | tail -n 1)"
[[ -n $ver ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql after install"
log "PostgreSQL $ver"

if ! pg_lsclusters -h | awk -v v="$ver" -v c="$CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'; then
  log "creating cluster $ver/$CLUSTER on port $PG_PORT"
  without_extra_fds pg_createcluster -p "$PG_PORT" "$ver" "$CLUSTER"
fi
cluster_port="$(pg_lsclusters -h | awk -v v="$ver" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"
[[ $cluster_port == "$PG_PORT" ]] ||
  die "cluster $ver/$CLUSTER is configured for port $cluster_port, expected $PG_PORT
       (fix 'port' in /etc/postgresql/$ver/$CLUSTER/postgresql.conf)"

if pg_ctlcluster "$ver" "$CLUSTER" status >/dev/null 2>&1; then
  log "cluster $ver/$CLUSTER already running"
else
  log "starting cluster $ver/$CLUSTER"
  without_extra_fds pg_ctlcluster "$ver" "$CLUSTER" start ||
    die "pg_ctlcluster $ver $CLUSTER start failed; see /var/log/postgresql/postgresql-$ver-$CLUSTER.log"
fi

deadline=$((SECONDS + start_timeout))
until pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; do
  if ((SECONDS >= deadline)); then
    tail -n 30 "/var/log/postgresql/postgresql-$ver-$CLUSTER.log" >&2 || true
    die "PostgreSQL not accepting connections on $PG_HOST:$PG_PORT after ${start_timeout}s"
  fi
  sleep 0.5
done

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres "$@"; }

# Role: create if absent; (re)set the password so the URL below always works.
psql_admin <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL

if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]]; then
  log "creating database $PG_DB"
  psql_admin -c "CREATE DATABASE $PG_DB OWNER $PG_ROLE"
else
  psql_admin -c "ALTER DATABASE $PG_DB OWNER TO $PG_ROLE"
fi

tcp_login() {
  PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -w -h "$PG_HOST" -p "$PG_PORT" \
    -U "$PG_ROLE" -d "$PG_DB" -tAc 'SELECT 1' 2>&1
}

if ! out="$(tcp_login)"; then
  # Debian's default pg_hba.conf allows scram over 127.0.0.1; repair it if changed.
  hba="$(psql_admin -tAc 'SHOW hba_file')"
  log "password login over TCP failed ($out); adding a scram rule to $hba"
  line="host    $PG_DB    $PG_ROLE    127.0.0.1/32    scram-sha-256"
  grep -qxF "$line" "$hba" || sed -i "1i $line" "$hba"
  psql_admin -c 'SELECT pg_reload_conf()' >/dev/null
  sleep 1
  out="$(tcp_login)" || die "password login as $PG_ROLE over $PG_HOST:$PG_PORT still fails: $out"
fi

log "ready"
echo "postgresql://$PG_ROLE:$PG_PASSWORD@$PG_HOST:$PG_PORT/$PG_DB" >&3
