#!/usr/bin/env bash
# CI for the Python model tooling: venv, pytest, tiny train -> export -> onnxruntime parity.
# Exits non-zero on any failure (pytest exit code 5 = "no tests collected" is treated as a failure).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export OMP_NUM_THREADS="${RECMESH_THREADS:-2}" MKL_NUM_THREADS="${RECMESH_THREADS:-2}"
PY="$HERE/.venv/bin/python"

echo "== setup venv"
./setup-venv.sh

echo "== pytest"
set +e
"$PY" -m pytest -q tests
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "ci: pytest collected no tests" >&2; exit 1; fi
if [ "$rc" -ne 0 ]; then echo "ci: pytest failed ($rc)" >&2; exit "$rc"; fi

echo "== tiny train + export + parity"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/recmesh-model-ci.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
"$PY" -c "from pathlib import Path; from recmesh_model.synthetic import write_tiny_dataset; write_tiny_dataset(Path('$WORK/ds'), text=False)"
"$PY" -m recmesh_model.train --dataset-dir "$WORK/ds" --out "$WORK/run" --seed 0 --hidden 16 --max-len 8 \
  --blocks 1 --epochs 3 --batch-size 32 --dropout 0.1 --attn-dropout 0.1 --quiet --test > "$WORK/train.json"
"$PY" -c "import json,sys; d=json.load(open('$WORK/train.json')); print('tiny test ndcg@10', d['test']['ndcg@10']); sys.exit(0 if d['best_epoch']>=1 else 1)"
"$PY" -m recmesh_model.export --checkpoint "$WORK/run/checkpoint_best.pt" --out "$WORK/model" --check
for f in manifest.json user_encoder.onnx item_embeddings.onnx item_from_side.onnx; do
  test -s "$WORK/model/$f" || { echo "ci: missing $f" >&2; exit 1; }
done
echo "== attribute-only catalog (anonymous attribute ids, no titles/categories/brands): train + export + parity"
"$PY" -c "from pathlib import Path; from recmesh_model.synthetic import write_tiny_dataset; write_tiny_dataset(Path('$WORK/ds-attr'), text=False, cat_brand=False, attributes=True)"
"$PY" -m recmesh_model.train --dataset-dir "$WORK/ds-attr" --out "$WORK/run-attr" --seed 0 --hidden 16 --max-len 8 \
  --blocks 1 --epochs 2 --batch-size 32 --quiet > /dev/null
"$PY" -m recmesh_model.export --checkpoint "$WORK/run-attr/checkpoint_best.pt" --out "$WORK/model-attr" --check
"$PY" -c "import json,sys; a=json.load(open('$WORK/model-attr/manifest.json'))['side_info']['attributes']; print('attributes in manifest:', len(a)); sys.exit(0 if a else 1)"
echo "== text encoder for the Node runtime tests (exported once into the cache)"
TEXT_DIR="${RECMESH_CACHE:-$HOME/.cache/recmesh}/text_encoder"
if [ ! -s "$TEXT_DIR/text_encoder.onnx" ] || [ ! -s "$TEXT_DIR/vocab.txt" ]; then
  "$PY" -m recmesh_model.export_text_encoder --out "$TEXT_DIR" --check
fi
echo "ci: model tooling OK"
