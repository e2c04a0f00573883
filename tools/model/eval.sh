#!/usr/bin/env bash
# Offline evaluation of all models on one dataset (EVAL-PROTOCOL.md v1).
# usage: tools/model/eval.sh NAME|PATH [--models a,b] [--seeds 0,1,2] [--reports DIR] [trainer options...]
#        (also accepts: eval.sh --dataset NAME|PATH ...)
# NAME is a folder of $RECMESH_DATASETS; PATH any dataset folder (named after the folder, or its parent for normalized/).
# Writes <DIR>/<dataset>/<model>.json and <DIR>/<dataset>/README.md (DIR default: reports/model).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 1 ]; then echo "usage: $0 DATASET_NAME|DATASET_PATH [options]" >&2; exit 2; fi
if [ "$1" = "--dataset" ]; then shift; fi
NAME="$1"; shift
"$HERE/setup-venv.sh" >&2
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export OMP_NUM_THREADS="${RECMESH_THREADS:-2}" MKL_NUM_THREADS="${RECMESH_THREADS:-2}"
exec "$HERE/.venv/bin/python" -m recmesh_model.evaluate --dataset "$NAME" "$@"
