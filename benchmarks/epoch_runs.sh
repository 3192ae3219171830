#!/usr/bin/env bash
# The full-epoch measurements of benchmarks/results/SUMMARY.md ("Full FDU-MTL epochs"), one after
# the other on a quiet machine (each uses both cores). Every run writes
# benchmarks/results/<name>.md/.json with its command, commit and load averages.
#   bash benchmarks/epoch_runs.sh [step ...]     (default: all steps)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
STOP='{"model.backbone.encoder.task_message_gradients": false}'
BF16='{"model.backbone.encoder.precision": "bfloat16"}'
run() {
  case "$1" in
    fs2) $PY benchmarks/epoch_time.py --full-epoch --models fs_mtl --threads 2 --plain-reference \
           --out /tmp/graph_mtl_epochs/fs2 --name epoch-full-fs-2threads ;;
    dcic2) $PY benchmarks/epoch_time.py --full-epoch --models dc_mtl ic_mtl --threads 2 \
           --out /tmp/graph_mtl_epochs/dcic2 --name epoch-full-dc-ic-2threads ;;
    # the same two steps again on the machine that replaced the first one (2026-12-02)
    fs2m2) $PY benchmarks/epoch_time.py --full-epoch --models fs_mtl --threads 2 --plain-reference \
           --out /tmp/graph_mtl_epochs/fs2m2 --name epoch-full-fs-2threads-machine2 ;;
    dcic2m2) $PY benchmarks/epoch_time.py --full-epoch --models dc_mtl ic_mtl --threads 2 \
           --out /tmp/graph_mtl_epochs/dcic2m2 --name epoch-full-dc-ic-2threads-machine2 ;;
    # the same with denormals flushed to zero (graph_mtl.common.denormals, 2026-12-02)
    fs2flush) $PY benchmarks/epoch_time.py --full-epoch --models fs_mtl --threads 2 --plain-reference \
           --plain-inputs padded --out /tmp/graph_mtl_epochs/fs2flush --name epoch-full-fs-2threads-flushed ;;
    dcic2flush) $PY benchmarks/epoch_time.py --full-epoch --models dc_mtl ic_mtl --threads 2 \
           --out /tmp/graph_mtl_epochs/dcic2flush --name epoch-full-dc-ic-2threads-flushed ;;
    # DC-MTL alone: the command of the committed epoch-full-dc-2threads-flushed.md
    dc2flush) $PY benchmarks/epoch_time.py --full-epoch --models dc_mtl --threads 2 \
           --out /tmp/graph_mtl_epochs/dcic2flush --name epoch-full-dc-2threads-flushed ;;
    # IC-MTL alone (dcic2flush was stopped after DC-MTL to give the cores back to training)
    ic2flush) $PY benchmarks/epoch_time.py --full-epoch --models ic_mtl --threads 2 \
           --out /tmp/graph_mtl_epochs/ic2flush --name epoch-full-ic-2threads-flushed ;;
    denormals) $PY benchmarks/denormals.py --threads 1 --name denormals-1thread ;;
    dcstop2) $PY benchmarks/epoch_time.py --full-epoch --models dc_mtl --threads 2 --override "$STOP" \
           --out /tmp/graph_mtl_epochs/dcstop2 --name epoch-full-dc-stopgrad-2threads ;;
    # the `precision` option existed only in commit 8f46d6e (measured, no gain, removed)
    dcbf2) $PY benchmarks/epoch_time.py --full-epoch --models dc_mtl --threads 2 --override "$BF16" \
           --out /tmp/graph_mtl_epochs/dcbf2 --name epoch-full-dc-bf16-2threads ;;
    fs1) $PY benchmarks/epoch_time.py --full-epoch --models fs_mtl --threads 1 \
           --out /tmp/graph_mtl_epochs/fs1 --name epoch-full-fs-1thread ;;
    # DC-MTL and IC-MTL at 1 thread, side by side (one per core)
    dcic1) $PY benchmarks/epoch_time.py --full-epoch --models dc_mtl --threads 1 \
             --out /tmp/graph_mtl_epochs/dc1 --name epoch-full-dc-1thread &
           $PY benchmarks/epoch_time.py --full-epoch --models ic_mtl --threads 1 \
             --out /tmp/graph_mtl_epochs/ic1 --name epoch-full-ic-1thread
           wait ;;
    dc1) $PY benchmarks/epoch_time.py --full-epoch --models dc_mtl --threads 1 \
           --out /tmp/graph_mtl_epochs/dc1 --name epoch-full-dc-1thread ;;
    emb) $PY benchmarks/embedding_update.py --name embedding-update ;;
    profile) $PY benchmarks/batch_profile.py --threads 2 --name batch-profile-2threads ;;
    *) echo "unknown step $1"; exit 2 ;;
  esac
}
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(fs2 dcic2 dcstop2 emb profile fs1 dcic1)
for step in "${steps[@]}"; do
  echo "== $step $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
  run "$step"
done
