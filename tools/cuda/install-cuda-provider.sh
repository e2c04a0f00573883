#!/usr/bin/env bash
# npm run cuda:install [-- --force | --uninstall | --no-check]
#
# Provides onnxruntime-node's CUDA execution provider from PyPI (issue 15). onnxruntime-node's own
# install script fetches it from NuGet, which this project cannot reach (and .ci/run and the Docker
# build skip it: ONNXRUNTIME_NODE_INSTALL=skip). Instead:
#   1. pip download onnxruntime-gpu==<onnxruntime-node's version> (no install, no dependencies);
#   2. copy its libonnxruntime_providers_{cuda,shared}.so next to onnxruntime-node's
#      libonnxruntime.so.1 (bin/napi-v6/linux/x64): onnxruntime looks for provider libraries in the
#      directory of the loaded libonnxruntime, which is where onnxruntime-node's own CUDA install
#      puts them (script/install-metadata.js);
#   3. pip download the NVIDIA runtime wheels that onnxruntime-gpu's own [cuda,cudnn] extras name
#      (so the CUDA major version always matches the provider build) and extract their lib/*.so*
#      into the cache;
#   4. write $CACHE/cuda/env.sh, which puts that directory on LD_LIBRARY_PATH. The dynamic linker
#      reads LD_LIBRARY_PATH only at process start, so services start through
#      tools/cuda/with-cuda-env.sh (npm start, bench:serving, the Docker entrypoint source it);
#   5. check the result with tools/cuda/check-cuda-provider.ts.
# Downloads (1.5 GB of wheels, 2.1 GB extracted) stay in ${RECMESH_CACHE:-$HOME/.cache/recmesh}/cuda,
# never in the repo.
# Without an NVIDIA GPU it only says so, unless --force (to test the install on a CPU machine).
# Environment: RECMESH_CUDA_PYTHON (whose pip downloads), RECMESH_CUDA_WHEELS (wheel folder),
# RECMESH_CUDA_FIND_LINKS (a folder of wheels to use instead of PyPI: offline mirrors, tests),
# RECMESH_CUDA_ORT_BIN_DIR (where the provider goes, default onnxruntime-node's), RECMESH_CUDA_DEV_DIR
# (where to look for nvidia<N> device nodes, default /dev).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${RECMESH_CACHE:-$HOME/.cache/recmesh}/cuda"
# The Docker build keeps the wheels in a build cache mount instead (RECMESH_CUDA_WHEELS), out of the image.
WHEELS="${RECMESH_CUDA_WHEELS:-$CACHE/wheels}"
# Manylinux tags pip may pick for the target (the host's own tags do not matter: nothing is installed).
PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_12_x86_64 manylinux2010_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64)
PROVIDER_FILES=(libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so)

force=0
uninstall=0
check=1
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --uninstall) uninstall=1 ;;
    --no-check) check=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "cuda:install: unknown option '$a' (--force, --uninstall, --no-check)" >&2; exit 64 ;;
  esac
done

log() { echo "[cuda:install] $*"; }
die() { echo "[cuda:install] ERROR: $*" >&2; exit 1; }

cd "$ROOT"
ort_dir="$(node -p "require('path').dirname(require.resolve('onnxruntime-node/package.json'))")" || die "onnxruntime-node is not installed (run npm install first)"
ort_version="$(node -p "require('onnxruntime-node/package.json').version")"
bin_dir="${RECMESH_CUDA_ORT_BIN_DIR:-$ort_dir/bin/napi-v6/linux/x64}"
lib_dir="$CACHE/onnxruntime-gpu-$ort_version/lib"
env_file="$CACHE/env.sh"

if [ "$uninstall" = 1 ]; then
  for f in "${PROVIDER_FILES[@]}"; do rm -f "$bin_dir/$f"; done
  rm -f "$env_file"
  log "removed ${PROVIDER_FILES[*]} from $bin_dir and $env_file (downloads kept in $CACHE)"
  exit 0
fi

[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "onnxruntime-gpu wheels provide the CUDA provider for Linux x86_64 only (this is $(uname -s)/$(uname -m))"
[ -f "$bin_dir/libonnxruntime.so.1" ] || die "$bin_dir/libonnxruntime.so.1 not found: unknown onnxruntime-node layout"

gpu=""
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  gpu="$(nvidia-smi -L | head -1)"
elif ls "${RECMESH_CUDA_DEV_DIR:-/dev}"/nvidia[0-9]* >/dev/null 2>&1; then
  gpu="$(ls "${RECMESH_CUDA_DEV_DIR:-/dev}"/nvidia[0-9]* | head -1) (nvidia-smi not available)"
fi
if [ -z "$gpu" ]; then
  if [ "$force" = 0 ]; then
    log "no NVIDIA GPU found (nvidia-smi -L failed, no /dev/nvidia0): nothing to install, onnxruntime stays on CPU (--force installs anyway)"
    exit 0
  fi
  log "no NVIDIA GPU found; installing anyway (--force): the services will still run on CPU here"
else
  log "GPU: $gpu"
fi

python="${RECMESH_CUDA_PYTHON:-}"
if [ -z "$python" ]; then
  if [ -x "$ROOT/tools/model/.venv/bin/python" ]; then python="$ROOT/tools/model/.venv/bin/python"; else python=python3; fi
fi
"$python" -m pip --version >/dev/null 2>&1 || die "$python has no pip (install python3-pip, or set RECMESH_CUDA_PYTHON)"

mkdir -p "$WHEELS"
platform_args=(--only-binary=:all: --python-version 3.11)
[ -n "${RECMESH_CUDA_FIND_LINKS:-}" ] && platform_args+=(--no-index --find-links "$RECMESH_CUDA_FIND_LINKS")
for p in "${PLATFORMS[@]}"; do platform_args+=(--platform "$p"); done

# Prints the wheel files that pip reports for this download (saved now or found in the cache),
# so that older versions lying in the cache are never extracted.
pip_download() {
  local out
  out="$("$python" -m pip download --disable-pip-version-check --no-cache-dir --progress-bar off "${platform_args[@]}" -d "$WHEELS" "$@" 2>&1)" || { echo "$out" >&2; die "pip download $* failed"; }
  echo "$out" | sed -n -e 's#^ *Saved \(.*\.whl\)$#\1#p' -e 's#^ *File was already downloaded \(.*\.whl\)$#\1#p' | while read -r w; do
    echo "$WHEELS/$(basename "$w")"
  done
}

log "downloading onnxruntime-gpu==$ort_version (the version of onnxruntime-node) into $WHEELS"
ort_wheel="$(pip_download --no-deps "onnxruntime-gpu==$ort_version" | head -1)"
[ -f "$ort_wheel" ] || die "pip found no onnxruntime-gpu==$ort_version wheel for Linux x86_64"

# The NVIDIA wheels onnxruntime-gpu itself declares (extras cuda and cudnn).
mapfile -t nvidia_reqs < <("$python" - "$ort_wheel" <<'PY'
import re, sys, zipfile
from email.parser import Parser
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith('.dist-info/METADATA'))
    msg = Parser().parsestr(z.read(meta).decode())
for req in msg.get_all('Requires-Dist') or []:
    m = re.match(r'^([^;]+);\s*extra\s*==\s*"(cuda|cudnn)"\s*$', req)
    if m:
        print(m.group(1).replace(' ', ''))
PY
)
[ "${#nvidia_reqs[@]}" -gt 0 ] || die "$(basename "$ort_wheel") declares no [cuda]/[cudnn] extras: cannot tell which NVIDIA wheels it needs"
log "NVIDIA runtime wheels required by onnxruntime-gpu $ort_version: ${nvidia_reqs[*]}"
mapfile -t nvidia_wheels < <(pip_download "${nvidia_reqs[@]}")
[ "${#nvidia_wheels[@]}" -gt 0 ] || die "pip downloaded no NVIDIA wheel"

# Start empty: libraries of wheels an earlier install used must not linger on LD_LIBRARY_PATH.
rm -rf "$lib_dir"
mkdir -p "$lib_dir"
"$python" - "$ort_wheel" "$bin_dir" "$lib_dir" "$CACHE/onnxruntime-gpu-$ort_version/manifest.json" "${nvidia_wheels[@]}" <<'PY'
import json, os, re, shutil, sys, zipfile
ort_wheel, bin_dir, lib_dir, manifest_file, *nvidia = sys.argv[1:]

def extract(z, member, dest):
    # Write beside the target, then rename: a running service never sees half a library.
    tmp = dest + '.part'
    with z.open(member) as src, open(tmp, 'wb') as out:
        shutil.copyfileobj(src, out, 1 << 20)
    os.chmod(tmp, 0o755)
    os.replace(tmp, dest)
    return {'file': dest, 'bytes': os.path.getsize(dest)}

placed = []
with zipfile.ZipFile(ort_wheel) as z:
    for name in ('libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'):
        placed.append(extract(z, 'onnxruntime/capi/' + name, os.path.join(bin_dir, name)))
libs = []
for wheel in nvidia:
    with zipfile.ZipFile(wheel) as z:
        for member in z.namelist():
            if re.match(r'^nvidia/.*/lib/[^/]+\.so(\.\d+)*$', member):
                libs.append(extract(z, member, os.path.join(lib_dir, os.path.basename(member))))
size = lambda f: os.path.getsize(f)
json.dump({
    'onnxruntimeGpuWheel': {'file': os.path.basename(ort_wheel), 'bytes': size(ort_wheel)},
    'nvidiaWheels': [{'file': os.path.basename(w), 'bytes': size(w)} for w in nvidia],
    'providerLibraries': placed,
    'nvidiaLibraries': libs,
}, open(manifest_file, 'w'), indent=2)
for p in placed:
    print(f"[cuda:install] placed {p['file']} ({p['bytes'] / 2**20:.1f} MiB)")
print(f"[cuda:install] extracted {len(libs)} NVIDIA libraries ({sum(l['bytes'] for l in libs) / 2**20:.0f} MiB) into {lib_dir}")
PY

cat > "$env_file.part" <<EOF
# Written by tools/cuda/install-cuda-provider.sh for onnxruntime-node $ort_version ($(basename "$ort_wheel")).
# Source it (POSIX sh) before starting a service, or start it through tools/cuda/with-cuda-env.sh:
# the NVIDIA libraries the CUDA provider loads must be on LD_LIBRARY_PATH at process start.
RECMESH_CUDA_LIB_DIR='$lib_dir'
export RECMESH_CUDA_LIB_DIR
case ":\${LD_LIBRARY_PATH:-}:" in
  *":\$RECMESH_CUDA_LIB_DIR:"*) ;;
  *) LD_LIBRARY_PATH="\$RECMESH_CUDA_LIB_DIR\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"; export LD_LIBRARY_PATH ;;
esac
EOF
mv "$env_file.part" "$env_file"
log "wrote $env_file (manifest: $CACHE/onnxruntime-gpu-$ort_version/manifest.json)"

if [ -n "$gpu" ] && command -v nvidia-smi >/dev/null 2>&1; then
  # The provider needs a driver that supports its CUDA major version (CUDA 13 needs driver >= 580).
  driver_cuda="$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9][0-9]*\)\..*/\1/p' | head -1)"
  wheel_cuda="$(printf '%s\n' "${nvidia_reqs[@]}" | sed -n 's/^nvidia-cuda-runtime[^~=]*~=\([0-9][0-9]*\).*/\1/p' | head -1)"
  if [ -n "$driver_cuda" ] && [ -n "$wheel_cuda" ] && [ "$driver_cuda" -lt "$wheel_cuda" ]; then
    log "WARNING: the NVIDIA driver supports CUDA $driver_cuda but onnxruntime-gpu $ort_version is built for CUDA $wheel_cuda: update the driver, or the services fall back to CPU"
  fi
fi

if [ "$check" = 1 ]; then
  check_args=()
  # On a machine without a GPU, ask onnxruntime for CUDA anyway: proves it falls back instead of crashing.
  [ -z "$gpu" ] && check_args=(--assume-gpu --expect cpu)
  [ -n "$gpu" ] && check_args=(--expect cuda)
  sh "$ROOT/tools/cuda/with-cuda-env.sh" node "$ROOT/tools/run-ts.js" "$ROOT/tools/cuda/check-cuda-provider.ts" "${check_args[@]}"
fi
