#!/usr/bin/env bash
# FDU-MTL DC-MTL (source embeddings at lr x10, seed 13, trained again here): its relation matrix
# on two halves of dev (within the model), against the committed seed 13 and 14 runs and the
# text; its reliance on messages. A=archive R=results folder (defaults: the finished run).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=${T:-1} MKL_NUM_THREADS=${T:-1}
A=${A:-output/table1/cpu-dc-se-lr10/dc_mtl-s13/model.tar.gz}
R=${R:-results/table1/cpu-dc-se-lr10-rerun}
D=/work/shared/data/fdu-mtl
mkdir -p "$R"
PY=.venv/bin/python
$PY scripts/attention_summary.py $A --data-dir $D --limit 100 --output $R/attention-dc_mtl-s13 > /dev/null
$PY scripts/attention_summary.py $A --data-dir $D --offset 100 --limit 100 --output $R/attention-dc_mtl-s13-second100 > /dev/null
$PY scripts/relation_stability.py $R/attention-dc_mtl-s13.json $R/attention-dc_mtl-s13-second100.json --output $R/stability-halves
$PY scripts/relation_stability.py results/table1/cpu-dc-se-lr10/attention-dc_mtl-s13.json $R/attention-dc_mtl-s13.json --output $R/stability-machines
$PY scripts/relation_stability.py $R/attention-dc_mtl-s13.json results/table1/cpu-dc-se-lr10/attention-dc_mtl-s14.json --lexical $D --output $R/stability-seeds
$PY scripts/relation_stability.py $R/attention-dc_mtl-s13-second100.json results/table1/cpu-dc-se-lr10/attention-dc_mtl-s14.json --output $R/stability-seeds-second100
DATA=$($PY -c "import json,sys; ts=sorted(p[:-len('.task.train')] for p in __import__('os').listdir('$D') if p.endswith('.task.train')); print(json.dumps({t: '$D/'+t+'.task.train#dev' for t in ts}))")
.venv/bin/allennlp evaluate $A "$DATA" --include-package graph_mtl --output-file $R/evaluate-with-messages.json
.venv/bin/allennlp evaluate $A "$DATA" --include-package graph_mtl --output-file $R/evaluate-without-messages.json \
    --overrides '{"model.backbone.encoder.read_messages": false}'
