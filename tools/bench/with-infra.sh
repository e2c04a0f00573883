#!/usr/bin/env bash
# Runs a benchmark against the local Kafka + MariaDB, starting them if needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export RECMESH_RUN="${RECMESH_RUN:-/tmp/recmesh-run}"
bash tools/infra/up.sh >/dev/null
bash tools/infra/kcat.sh ensure >/dev/null 2>&1 || echo "kcat unavailable: the report will have the kafkajs ceiling only" >&2
# shellcheck disable=SC1091
source "$RECMESH_RUN/infra.env"
exec "$@"
