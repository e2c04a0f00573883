#!/usr/bin/env bash
# helm and kube-validate for the chart checks (deploy/helm-chart.spec.ts, which
# fails without them), built from the Go module proxy into the cache, once:
#
#   tools/infra/helm.sh ensure              # build both if missing, print helm's path
#   tools/infra/helm.sh path [helm|kube-validate]   # the binary's path (built if missing)
#   tools/infra/helm.sh which [helm|kube-validate]  # its path if built, else exit 1 (never builds)
#   tools/infra/helm.sh validate [FILE...]  # kube-validate: strict decode against k8s.io/api
#   tools/infra/helm.sh [args...]           # ensure, then run helm with the args
#
# helm is pinned to HELM_VERSION (helm.sh/helm/v3); kube-validate is
# tools/infra/kube-validate (its go.mod pins k8s.io/api to the version helm
# itself uses, so the two builds share the compiled Kubernetes packages). The
# Go module and build caches live under ${RECMESH_CACHE:-~/.cache/recmesh}/go,
# the binaries under .../bin/: a second ensure is a no-op, and kube-validate is
# rebuilt only when its sources change. $HELM / $KUBE_VALIDATE name binaries to
# use instead (nothing is built for them then).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_NAME=helm
# shellcheck source=lib.sh
. "$SCRIPT_DIR/lib.sh"

HELM_VERSION=v3.22.0
# The Kubernetes version helm assumes without a cluster (helm template's .Capabilities.KubeVersion and
# helm lint's deprecation rules): its Makefile derives it from client-go (v0.37 -> 1.37); go install
# alone would leave the source default, 1.20.
HELM_K8S_MAJOR=1 HELM_K8S_MINOR=37
KV_SRC="$SCRIPT_DIR/kube-validate"

go_env() {
  command -v go >/dev/null 2>&1 || infra_die "go not found: install Go >= 1.26 (helm $HELM_VERSION needs it), or set HELM and KUBE_VALIDATE"
  export GOMODCACHE="$RECMESH_CACHE/go/mod" GOCACHE="$RECMESH_CACHE/go/build"
  # -modcacherw: the module cache can be deleted with rm -rf; same flags for both builds so they share GOCACHE.
  export GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  mkdir -p "$GOMODCACHE" "$GOCACHE" "$RECMESH_CACHE/bin"
}

helm_bin() {
  if [ -n "${HELM:-}" ]; then echo "$HELM"; else echo "$RECMESH_CACHE/bin/helm-$HELM_VERSION/helm"; fi
}

kv_hash() {
  (cd "$KV_SRC" && cat go.mod go.sum ./*.go) | sha256sum | cut -c1-12
}

kv_bin() {
  if [ -n "${KUBE_VALIDATE:-}" ]; then echo "$KUBE_VALIDATE"; else echo "$RECMESH_CACHE/bin/kube-validate-$(kv_hash)/kube-validate"; fi
}

ensure_helm() {
  local bin; bin="$(helm_bin)"
  if [ -n "${HELM:-}" ]; then
    "$HELM" version --short >/dev/null 2>&1 || infra_die "\$HELM=$HELM does not run"
    return 0
  fi
  [ -x "$bin" ] && return 0
  go_env
  local dir; dir="$(dirname "$bin")"
  local tmp="$dir.tmp.$$" t0=$SECONDS
  infra_log "building helm $HELM_VERSION from the Go module proxy (first time only; a few minutes)"
  rm -rf "$tmp"; mkdir -p "$tmp"
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" pkg
  for pkg in pkg/chartutil pkg/lint/rules; do
    ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=$HELM_K8S_MAJOR -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$HELM_K8S_MINOR"
  done
  GOBIN="$tmp" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" || { rm -rf "$tmp"; infra_die "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed"; }
  rm -rf "$dir"; mv "$tmp" "$dir"
  infra_log "helm $HELM_VERSION built in $((SECONDS - t0)) s: $bin"
}

ensure_kube_validate() {
  local bin; bin="$(kv_bin)"
  if [ -n "${KUBE_VALIDATE:-}" ]; then
    [ -x "$KUBE_VALIDATE" ] || infra_die "\$KUBE_VALIDATE=$KUBE_VALIDATE is not executable"
    return 0
  fi
  [ -x "$bin" ] && return 0
  go_env
  local dir; dir="$(dirname "$bin")"
  local tmp="$dir.tmp.$$" t0=$SECONDS
  infra_log "building kube-validate ($KV_SRC)"
  rm -rf "$tmp"; mkdir -p "$tmp"
  (cd "$KV_SRC" && go build -trimpath -ldflags "-s -w" -o "$tmp/kube-validate" .) \
    || { rm -rf "$tmp"; infra_die "building kube-validate failed"; }
  rm -rf "$dir"; mv "$tmp" "$dir"
  # older builds of kube-validate (other sources) are dead weight
  find "$RECMESH_CACHE/bin" -maxdepth 1 -name 'kube-validate-*' ! -path "$dir" -exec rm -rf {} + 2>/dev/null || true
  infra_log "kube-validate built in $((SECONDS - t0)) s: $bin"
}

case "${1:-}" in
  ensure) ensure_helm; ensure_kube_validate; helm_bin ;;
  path)
    case "${2:-helm}" in
      helm) ensure_helm; helm_bin ;;
      kube-validate) ensure_kube_validate; kv_bin ;;
      *) infra_die "path: helm or kube-validate" ;;
    esac ;;
  which)
    case "${2:-helm}" in
      helm) bin="$(helm_bin)" ;;
      kube-validate) bin="$(kv_bin)" ;;
      *) infra_die "which: helm or kube-validate" ;;
    esac
    [ -x "$bin" ] || { infra_log "$bin is not built: run tools/infra/helm.sh ensure"; exit 1; }
    echo "$bin" ;;
  validate) shift; ensure_kube_validate; exec "$(kv_bin)" "$@" ;;
  ""|-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  *) ensure_helm; exec "$(helm_bin)" "$@" ;;
esac
