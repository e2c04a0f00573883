#!/usr/bin/env bash
# Offline evaluation of all models on one dataset (EVAL-PROTOCOL.md v1).
# usage: tools/model/eval.sh NAME [--models a,b] [--seeds 0,1,2] [trainer options...]
#        (also accepts: eval.sh --dataset NAME ...)
# Writes reports/model/NAME/<model>.json and reports/model/NAME/README.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 1 ]; then echo "usage: $0 DATASET_NAME [options]" >&2; exit 2; fi
if [ "$1" = "--dataset" ]; then shift; fi
NAME="$1"; shift
"$HERE/setup-venv.sh" >&2
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export OMP_NUM_THREADS="${RECMESH_THREADS:-2}" MKL_NUM_THREADS="${RECMESH_THREADS:-2}"
exec "$HERE/.venv/bin/python" -m recmesh_model.evaluate --dataset "$NAME" "$@"
