#!/usr/bin/env bash
# Make sure `promtool` is installed: Debian's `prometheus` package (2.42 on
# Debian 12), which deploy/deploy-config.spec.ts needs for `promtool check
# config`, `check rules` and `test rules` (that test fails without it).
#
#   tools/infra/promtool.sh ensure     # install if missing, print its path
#   tools/infra/promtool.sh [args...]  # ensure, then run promtool with the args
#
# Honours $PROMTOOL (a promtool binary to use instead; it is not installed then).
# The package's own Prometheus service is never started (policy-rc.d).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_NAME=promtool
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

find_promtool() {
  if [ -n "${PROMTOOL:-}" ]; then
    "$PROMTOOL" --version >/dev/null 2>&1 || infra_die "\$PROMTOOL=$PROMTOOL does not run"
    echo "$PROMTOOL"; return 0
  fi
  if command -v promtool >/dev/null 2>&1; then command -v promtool; return 0; fi
  [ -x /usr/bin/promtool ] && { echo /usr/bin/promtool; return 0; }
  return 1
}

ensure() {
  find_promtool >/dev/null && return 0
  infra_log "promtool not found, installing Debian's prometheus package"
  # Keep the package's postinst from starting a system-wide Prometheus (:9090)
  # through invoke-rc.d: we only want promtool.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  [ "$created_policy" -eq 1 ] && trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt_install prometheus
  if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; trap - EXIT; fi
  find_promtool >/dev/null || infra_die "promtool still missing after installing prometheus"
}

case "${1:-}" in
  ensure) ensure; find_promtool ;;
  ""|-h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  *) ensure; exec "$(find_promtool)" "$@" ;;
esac
