#!/usr/bin/env bash
# FDU-MTL DC-MTL with own_input_dropout 0.5 (dropout on each task's own fusion-LSTM input only),
# seeds 13 and 14 (SEEDS=...): alpha on dev sentences 1-100 of each domain (attention summary) and the model's
# reliance on its messages (dev accuracy with and without r_t, the same weights).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=${T:-1} MKL_NUM_THREADS=${T:-1}
O=output/table1/cpu-dc-oid05
R=results/table1/cpu-dc-oid05
D=${FDU_MTL_DIR:-/work/shared/data/fdu-mtl}
PY=.venv/bin/python
SEEDS=${SEEDS:-13}
for s in $SEEDS; do
  $PY scripts/attention_summary.py $O/dc_mtl-s$s/model.tar.gz --data-dir $D --limit 100 --output $R/attention-dc_mtl-s$s > /dev/null
done
DATA=$($PY -c "import json,os; ts=sorted(p[:-len('.task.train')] for p in os.listdir('$D') if p.endswith('.task.train')); print(json.dumps({t: '$D/'+t+'.task.train#dev' for t in ts}))")
for s in $SEEDS; do
  .venv/bin/allennlp evaluate $O/dc_mtl-s$s/model.tar.gz "$DATA" --include-package graph_mtl \
      --output-file $R/evaluate-s$s-with-messages.json > $O/evaluate-s$s.log 2>&1
  .venv/bin/allennlp evaluate $O/dc_mtl-s$s/model.tar.gz "$DATA" --include-package graph_mtl \
      --output-file $R/evaluate-s$s-without-messages.json --overrides '{"model.backbone.encoder.read_messages": false}' >> $O/evaluate-s$s.log 2>&1
done
# stability of the relation across the two seeds, and against the domains' lexical similarity
if [ -f $R/attention-dc_mtl-s13.json ] && [ -f $R/attention-dc_mtl-s14.json ]; then
  $PY scripts/relation_stability.py $R/attention-dc_mtl-s1{3,4}.json --output $R/relation-stability
  $PY scripts/relation_stability.py $R/attention-dc_mtl-s1{3,4}.json --lexical $D --output $R/relation-lexical
fi
