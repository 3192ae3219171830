#!/usr/bin/env bash
# Real-data check of issue 4: single-task LSTM, FS-MTL, DC-MTL and IC-MTL on four FDU-MTL
# domains (settings in settings.libsonnet), one after the other, niced, one torch thread.
# Usage: results/fdu4/run.sh [SEED ...]   (default seed 13); then results/fdu4/collect.py
set -euo pipefail
cd "$(dirname "$0")/../.."
export FDU_MTL_DIR="${FDU_MTL_DIR:-/work/shared/data/fdu-mtl}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
OUT="${OUT:-output/fdu4}"
TASKS="books dvd electronics kitchen_housewares"
MODELS="${MODELS:-single_lstm fs_mtl dc_mtl ic_mtl}"
mkdir -p "$OUT"
for seed in "${@:-13}"; do
  seeds="{\"random_seed\": $seed, \"numpy_seed\": $seed, \"pytorch_seed\": $seed, \"data_loader.seed\": $seed}"
  for model in $MODELS; do
    if [ "$model" = single_lstm ]; then
      for task in $TASKS; do
        dir="$OUT/$model-$task-s$seed"
        [ -f "$dir/metrics.json" ] && continue
        echo "$(date -u +%H:%M:%S) $model $task seed $seed"
        TASK=$task nice -n 10 .venv/bin/allennlp train results/fdu4/$model.jsonnet -s "$dir" -f \
          -o "$seeds" --file-friendly-logging > "$dir.log" 2>&1
      done
    else
      dir="$OUT/$model-s$seed"
      [ -f "$dir/metrics.json" ] && continue
      echo "$(date -u +%H:%M:%S) $model seed $seed"
      nice -n 10 .venv/bin/allennlp train results/fdu4/$model.jsonnet -s "$dir" -f \
        -o "$seeds" --file-friendly-logging > "$dir.log" 2>&1
    fi
  done
done
echo "$(date -u +%H:%M:%S) done"
