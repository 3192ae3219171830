#!/bin/bash
# Continue a finished 5-epoch Table 4 run to 10 epochs (same config, num_epochs 10), resumable.
# usage: continue_e10.sh RUN  (e.g. dc_mtl-s13)
set -euo pipefail
cd "$(dirname "$0")/../../.."
RUN=$1
SRC=output/table4/cpu/$RUN
DST=output/table4/cpu-e10/$RUN
CFG=results/table4/cpu-e10/configs/$RUN.json
mkdir -p output/table4/cpu-e10 results/table4/cpu-e10/configs
if [ ! -d "$DST" ]; then
  cp -r "$SRC" "$DST.tmp"
  rm -f "$DST.tmp/model.tar.gz" "$DST.tmp/metrics.json"
  mv "$DST.tmp" "$DST"
fi
python3 - "$DST/config.json" "$CFG" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["trainer"]["num_epochs"] = 10
json.dump(config, open(sys.argv[1], "w"), indent=4)
json.dump(config, open(sys.argv[2], "w"), indent=4)
PY
OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/allennlp train "$CFG" -s "$DST" --include-package graph_mtl --recover > "output/table4/cpu-e10/$RUN.log" 2>&1
