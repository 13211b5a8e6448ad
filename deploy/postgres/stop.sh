#!/usr/bin/env bash
# Stop the development/CI PostgreSQL cluster started by deploy/postgres/ensure.sh.
# Idempotent; data (role ledger, database ledger_test) is kept. Run as root.
set -euo pipefail

log() { printf 'postgres/stop.sh: %s\n' "$*" >&2; }

if [[ $EUID -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
  exec sudo -E bash "${BASH_SOURCE[0]}" "$@"
fi

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "PostgreSQL is not installed; nothing to stop"
  exit 0
fi

# Same choice as ensure.sh: the newest installed server version.
ver="$(for d in /usr/lib/postgresql/*/bin/postgres; do
  [[ -x $d ]] && basename "$(dirname "$(dirname "$d")")"
done | sort -n | tail -n 1)"
if [[ -z $ver ]] || ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" { f = 1 } END { exit !f }'; then
  log "no cluster main for PostgreSQL ${ver:-?}; nothing to stop"
  exit 0
fi

if pg_ctlcluster "$ver" main status >/dev/null 2>&1; then
  log "stopping cluster $ver/main"
  pg_ctlcluster "$ver" main stop
else
  log "cluster $ver/main is not running"
fi
