#!/usr/bin/env bash
# Installs ghz (gRPC load generator, github.com/bojand/ghz) into ${RECMESH_CACHE:-$HOME/.cache/recmesh}/gobin
# with `go install` from the Go module proxy, unless the pinned version is already there, and prints its path
# (the only thing written to stdout). Exits non-zero when Go is missing or the build fails.
#   bash tools/bench/serving/install-ghz.sh            -> /root/.cache/recmesh/gobin/ghz
# v0.93.0 is what `go list -m github.com/bojand/ghz@latest` resolves to on the module proxy; ghz built with
# `go install` reports "dev" from `ghz --version`, so the installed version is read from the binary's build
# info (`go version -m`).
set -euo pipefail

GHZ_MODULE=github.com/bojand/ghz
GHZ_VERSION=v0.93.0
GOBIN_DIR="${RECMESH_CACHE:-$HOME/.cache/recmesh}/gobin"
BIN="$GOBIN_DIR/ghz"

if ! command -v go >/dev/null 2>&1; then
  echo "install-ghz: go is not installed; cannot build ghz $GHZ_VERSION" >&2
  exit 1
fi

installed_version() {
  go version -m "$BIN" 2>/dev/null | awk -v m="$GHZ_MODULE" '$1 == "mod" && $2 == m { print $3 }'
}

if [[ -x "$BIN" && "$(installed_version)" == "$GHZ_VERSION" ]]; then
  echo "install-ghz: ghz $GHZ_VERSION already at $BIN" >&2
else
  echo "install-ghz: go install $GHZ_MODULE/cmd/ghz@$GHZ_VERSION -> $GOBIN_DIR" >&2
  mkdir -p "$GOBIN_DIR"
  GOBIN="$GOBIN_DIR" go install "$GHZ_MODULE/cmd/ghz@$GHZ_VERSION" >&2
  got="$(installed_version)"
  if [[ "$got" != "$GHZ_VERSION" ]]; then
    echo "install-ghz: installed binary reports ${got:-no version}, expected $GHZ_VERSION" >&2
    exit 1
  fi
fi

echo "$BIN"
