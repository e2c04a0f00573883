#!/usr/bin/env bash
# Make sure a headless Chromium is installed: Debian's `chromium` package, which
# the storefront browser test (test/storefront) drives with puppeteer-core (no
# browser download from npm). That test fails in CI without it.
#
#   tools/infra/chromium.sh ensure     # install if missing, print its path
#   tools/infra/chromium.sh path       # print its path, exit 1 if there is none
#
# Honours $CHROMIUM_PATH (a Chromium or Chrome binary to use instead; nothing is
# installed then).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_NAME=chromium
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ] || infra_die "\$CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
    echo "$CHROMIUM_PATH"; return 0
  fi
  local name
  for name in chromium chromium-browser; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  [ -x /usr/bin/chromium ] && { echo /usr/bin/chromium; return 0; }
  return 1
}

ensure() {
  find_chromium >/dev/null && return 0
  infra_log "chromium not found, installing Debian's chromium package"
  # fonts-liberation: readable text in the screenshots (the package alone may pull no font).
  apt_install chromium fonts-liberation
  find_chromium >/dev/null || infra_die "chromium still missing after installing it"
}

case "${1:-}" in
  ensure) ensure; find_chromium ;;
  path) find_chromium ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
