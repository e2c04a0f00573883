#!/usr/bin/env bash
# Runs every test recmesh has: unit tests of each Nx project, integration tests
# against a real Kafka broker and MariaDB (started here if not already up, and
# stopped again afterwards), and the Python model tooling tests when present.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export RECMESH_RUN="${RECMESH_RUN:-/tmp/recmesh-run}"
LOG_DIR="$ROOT/tmp/test-logs"
mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.log

started_infra=0
if [ -z "${KAFKA_BROKERS:-}" ] || [ -z "${MYSQL_URL:-}" ]; then
  if ! { bash tools/infra/kafka.sh status && bash tools/infra/mariadb.sh status; } >/dev/null 2>&1; then
    started_infra=1
  fi
  bash tools/infra/up.sh >/dev/null || { echo "could not start Kafka and MariaDB (see messages above)"; exit 1; }
  # shellcheck disable=SC1091
  source "$RECMESH_RUN/infra.env"
fi
cleanup() { [ "$started_infra" = 1 ] && bash tools/infra/down.sh >/dev/null 2>&1; }
trap cleanup EXIT

failed=()
run() { # name, command...
  local name=$1; shift
  echo "==> $name: $*"
  if ! "$@" 2>&1 | tee "$LOG_DIR/$name.log"; then failed+=("$name"); fi
}

# The model tooling goes first: it builds the venv (the real-shop test trains with it) and
# exports the torch text encoder into the cache, a second parity reference for the Node one.
if [ -x tools/model/ci.sh ] && [ "${RECMESH_SKIP_MODEL_TESTS:-0}" != 1 ]; then
  run model bash tools/model/ci.sh
fi
run unit npx nx run-many -t test --parallel=1 --outputStyle=stream --skip-nx-cache
run bundle-eval npx jest -c tools/bundle-eval/jest.config.js
run integration npx jest -c test/jest.config.js --runInBand

# One closing line for every runner: jest's "Tests:" lines and pytest's summary.
plain() { sed 's/\x1b\[[0-9;]*m//g' "$LOG_DIR"/*.log; }
passed=$(plain | sed -n 's/.*Tests: .*[^0-9]\([0-9][0-9]*\) passed.*/\1/p; s/.*Tests: *\([0-9][0-9]*\) passed.*/\1/p' | awk '{s+=$1} END {print s+0}')
failed_tests=$(plain | sed -n 's/.*Tests: *\([0-9][0-9]*\) failed.*/\1/p' | awk '{s+=$1} END {print s+0}')
py_passed=$(plain | sed -n 's/^=* \([0-9][0-9]*\) passed.*=*$/\1/p; s/^=* .*[^0-9]\([0-9][0-9]*\) passed.*=*$/\1/p' | awk '{s+=$1} END {print s+0}')
py_failed=$(plain | sed -n 's/^=* \([0-9][0-9]*\) failed.*=*$/\1/p' | awk '{s+=$1} END {print s+0}')
echo
if [ ${#failed[@]} -gt 0 ]; then echo "failed suites: ${failed[*]}"; fi
echo "$((passed + py_passed)) passed, $((failed_tests + py_failed)) failed"
[ ${#failed[@]} -eq 0 ]
