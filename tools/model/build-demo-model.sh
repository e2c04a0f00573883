#!/usr/bin/env bash
# Builds the small demo model the embedded default and tests use: the
# synthetic shop (tools/synthetic-shop) -> trainer -> ONNX export into
# tools/model/demo-model (committed; a few hundred KB, no text encoder inside).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$HERE/demo-model}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/recmesh-demo.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

"$HERE/setup-venv.sh" >&2
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export OMP_NUM_THREADS="${RECMESH_THREADS:-2}" MKL_NUM_THREADS="${RECMESH_THREADS:-2}"
PY="$HERE/.venv/bin/python"

node "$ROOT/tools/run-ts.js" "$ROOT/tools/synthetic-shop/generate-dataset.ts" --out "$WORK/shop" --items 2000 --users 3000 --seed 42
"$PY" -m recmesh_model.train --dataset-dir "$WORK/shop" --out "$WORK/run" --seed 42 --hidden 32 --blocks 2 --heads 2 \
  --max-len 20 --dropout 0.2 --attn-dropout 0.2 --epochs 60 --patience 5 --max-minutes "${DEMO_MAX_MINUTES:-6}" --test --quiet > "$WORK/train.json"
"$PY" -c "import json; d=json.load(open('$WORK/train.json')); print('demo model test metrics:', {k: round(v, 4) for k, v in d['test'].items() if '@' in k})"
rm -rf "$OUT"
"$PY" -m recmesh_model.export --checkpoint "$WORK/run/checkpoint_best.pt" --out "$OUT" --check
du -sh "$OUT"
