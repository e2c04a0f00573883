#!/usr/bin/env bash
# Reproduces the committed reports/model/* from real runs: two 1-thread lanes side by side
# (better total throughput than one 2-thread process on the shared 2-core machine).
# Hyper-parameters were picked on validation (Scientific sweep, seed 0: dropout 0.5/0.3/0.2, hidden 64/128,
# id dropout, cosine vs dot score, logit adjustment 0/0.25/0.5/1.0, horizon 1/3): highest validation
# NDCG@10, and among configurations within 1% of it the one with the highest validation tail recall@20.
# Trainer defaults are dropout 0.2, patience 5; the wall-clock caps (--max-minutes) are in each report's
# params. Beauty and Sports keep hidden 64 without logit adjustment (swept: tau 0.5 cost 7-11% validation NDCG).
# Issue 16's sweep (recmesh_model.sweep, seed 0, the same rule) adopted --align (trainer default 1.0); Beauty
# picks 0.3 (0.0699 vs 0.0691 validation NDCG@10, the latter just outside 1%). The committed transformer_side
# reports were regenerated with it (one 2-thread process, a seed at a time with --add-seeds); alignment does
# not touch the id-only ablation or the baselines, whose reports stay from the run before.
# ~150 min wall-clock on the shared 2-core machine.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG="${RECMESH_LOG_DIR:-/tmp}"
export RECMESH_THREADS=1
SCI=(amazon_scientific_unisrec --hidden 128 --logit-adjust 0.25 --max-minutes 10 --quiet)
BEAUTY=(amazon_beauty_s3rec --lr 2e-3 --align 0.3 --max-minutes 28 --quiet)
SPORTS=(amazon_sports_s3rec --lr 2e-3 --max-minutes 36 --quiet)
REPORTS="$HERE/../../reports/model"
# The report's SVG plots (and the README's Plots section) from its JSON files, after each report:
# evaluate writes them too, this redraws them from the JSON both lanes have written so far.
plots() { PYTHONPATH="$HERE" "$HERE/.venv/bin/python" -m recmesh_model.plots "$REPORTS/$1"; }
(
  "$HERE/eval.sh" "${SCI[@]}" --models transformer_side --seeds 0,1,2; plots amazon_scientific_unisrec
  "$HERE/eval.sh" "${BEAUTY[@]}" --models transformer_side --seeds 0,1,2; plots amazon_beauty_s3rec
  "$HERE/eval.sh" "${SPORTS[@]}" --models transformer_side --seeds 0,1,2; plots amazon_sports_s3rec
) > "$LOG/recmesh-eval-A.log" 2>&1 &
A=$!
(
  "$HERE/eval.sh" "${SCI[@]}" --models most_popular,item_knn,transformer_id --seeds 0,1,2; plots amazon_scientific_unisrec
  "$HERE/eval.sh" "${BEAUTY[@]}" --models most_popular,item_knn,transformer_id --seeds 0,1,2; plots amazon_beauty_s3rec
  "$HERE/eval.sh" "${SPORTS[@]}" --models most_popular,item_knn,transformer_id --seeds 0,1; plots amazon_sports_s3rec
) > "$LOG/recmesh-eval-B.log" 2>&1 &
B=$!
rcA=0; rcB=0
wait $A || rcA=$?
wait $B || rcB=$?
echo "lanes finished: A=$rcA B=$rcB"
[ $rcA -eq 0 ] && [ $rcB -eq 0 ]
