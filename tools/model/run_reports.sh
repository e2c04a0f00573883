#!/usr/bin/env bash
# Reproduces the committed reports/model/* from real runs: two 1-thread pipelines side by side
# (better total throughput than one 2-thread process on the shared 2-core machine).
# Wall-clock caps per training run (--max-minutes) are the ones used for the committed reports and are
# recorded in each report's params / protocol_notes. ~75 min wall-clock on the shared 2-core machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG="${RECMESH_LOG_DIR:-/tmp}"
export RECMESH_THREADS=1
(
  "$HERE/eval.sh" amazon_scientific_unisrec --seeds 0,1,2 --max-minutes 4.5 --patience 4 --quiet
  "$HERE/eval.sh" amazon_sports_s3rec --models transformer_id --seeds 0 --max-minutes 36 --patience 4 --lr 2e-3 --quiet
) > "$LOG/recmesh-eval-A.log" 2>&1 &
A=$!
(
  "$HERE/eval.sh" amazon_beauty_s3rec --seeds 0 --max-minutes 13 --patience 4 --lr 2e-3 --quiet
  "$HERE/eval.sh" amazon_sports_s3rec --models most_popular,item_knn,transformer_side --seeds 0 --max-minutes 36 --patience 4 --lr 2e-3 --quiet
) > "$LOG/recmesh-eval-B.log" 2>&1 &
B=$!
rcA=0; rcB=0
wait $A || rcA=$?
wait $B || rcB=$?
echo "pipelines finished: A=$rcA B=$rcB"
[ $rcA -eq 0 ] && [ $rcB -eq 0 ]
