#!/usr/bin/env bash
# Accuracy with and without length bucketing (issue 11): FS-MTL on four FDU-MTL domains
# (fs_mtl.jsonnet), seeds 13 and 21, bucketed and random training batches; two runs at a
# time, one torch thread each. Finished runs (metrics.json present) are kept.
# Usage: results/bucketing/run.sh; then .venv/bin/python results/bucketing/collect.py
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
for seed in 13 21; do
  train true "$seed" &
  train false "$seed"
  wait
done
echo "$(date -u +%H:%M:%S) done"
