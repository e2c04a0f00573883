#!/usr/bin/env bash
# Make sure `kcat` (Debian package) is installed. Used by the ingest benchmark
# (raw consume-rate ceiling) and the README (producing a test event).
#
#   tools/infra/kcat.sh ensure     # install if missing, print its path
#   tools/infra/kcat.sh [args...]  # ensure, then run kcat with -b $KAFKA_BROKERS
#                                  # (default 127.0.0.1:9092) prepended
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_NAME=kcat
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

ensure() {
  if ! command -v kcat >/dev/null 2>&1; then
    apt_install kcat
    command -v kcat >/dev/null 2>&1 || infra_die "kcat still missing after install"
  fi
}

case "${1:-}" in
  ensure) ensure; command -v kcat ;;
  ""|-h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  *) ensure; exec kcat -b "${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-9092}}" "$@" ;;
esac
