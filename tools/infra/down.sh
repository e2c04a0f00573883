#!/usr/bin/env bash
# Stop the local infra (Kafka + MariaDB). Data is kept for the next up.sh;
# pass --reset to also delete the Kafka and MariaDB data directories.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_NAME=down
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

action=stop
case "${1:-}" in
  "") ;;
  --reset) action=reset ;;
  *) echo "usage: $0 [--reset]" >&2; exit 2 ;;
esac

rc=0
"$SCRIPT_DIR/kafka.sh" "$action" || rc=1
"$SCRIPT_DIR/mariadb.sh" "$action" || rc=1
[ "$action" = reset ] && rm -f "$RECMESH_RUN/infra.env"
exit "$rc"
