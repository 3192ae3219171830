#!/usr/bin/env bash
# The GPU measurements of issue 7 as one prepared run (~5 min on an H100/H200), for a session that
# is lent a device machine: run it from the repository root there, e.g. with the device tool
#     bash benchmarks/gpu.sh
# It needs only python3 and torch with CUDA (the benchmarks import no AllenNLP: --standalone), and
# writes its results into $OUT (the device tool's folder that comes back) or benchmarks/results/.
# On a machine without CUDA each step says so and nothing is written.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
RESULTS=${OUT:-benchmarks/results}
mkdir -p "$RESULTS"
"$PYTHON" - <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda,
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device")
PY
# The target cell: DC-MTL K=16 against FS-MTL at batch 64, T=128 (plus IC-MTL and the floors).
"$PYTHON" benchmarks/encoder_speed.py --device cuda --standalone --k 16 --t 128 --batch 64 \
    --models lstm fs_mtl dc_mtl ic_mtl --floor --repeats 5 --name gpu-target --results-dir "$RESULTS"
# The grid (T 32/128, B 8/64, K 2..16), cut off after 4 minutes.
"$PYTHON" benchmarks/encoder_speed.py --device cuda --standalone --quick --generic \
    --time-budget 240 --name gpu-quick --results-dir "$RESULTS"
# DC-MTL's 15 source LSTMs: separate cuDNN calls against one grouped recurrence.
"$PYTHON" benchmarks/grouped_lstm.py --device cuda --k 15 --t 128 --batch 64 | tee "$RESULTS/gpu-grouped-lstm.txt"
