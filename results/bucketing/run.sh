#!/usr/bin/env bash
# Accuracy with and without length bucketing (issue 11): FS-MTL on four FDU-MTL domains
# (fs_mtl.jsonnet), bucketed and random training batches for each seed (default 13 21); two
# runs at a time, one torch thread each. Finished runs (metrics.json present) are kept.
# Usage: results/bucketing/run.sh [SEED ...]; then .venv/bin/python results/bucketing/collect.py
set -euo pipefail
cd "$(dirname "$0")/../.."
export FDU_MTL_DIR="${FDU_MTL_DIR:-/work/shared/data/fdu-mtl}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
OUT="${OUT:-output/bucketing}"
mkdir -p "$OUT"
train() {  # bucketing seed
  local dir="$OUT/fs_mtl-bucketing_$1-s$2"
  [ -f "$dir/metrics.json" ] && return 0
  echo "$(date -u +%H:%M:%S) fs_mtl bucketing=$1 seed $2"
  BUCKETING=$1 .venv/bin/allennlp train results/bucketing/fs_mtl.jsonnet -s "$dir" -f \
    -o "{\"random_seed\": $2, \"numpy_seed\": $2, \"pytorch_seed\": $2, \"data_loader.seed\": $2}" \
    --file-friendly-logging > "$dir.log" 2>&1
}
seeds=("$@")
[ ${#seeds[@]} -eq 0 ] && seeds=(13 21)
for seed in "${seeds[@]}"; do
  train true "$seed" &
  train false "$seed"
  wait
done
echo "$(date -u +%H:%M:%S) done"
