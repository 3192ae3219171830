// FS-MTL on the 16 FDU-MTL domains (Table 1) with the `flat` topology plugin (plugins/flat):
// every task reads one shared LSTM node, r_t = h_t^(s); no task-to-task edges, no learned
// communication weights.
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   allennlp train training_configs/plugins/flat_classification.jsonnet -s output/plugins/flat_classification
local fdu_mtl = import '../lib/fdu_mtl.libsonnet';
local plugins = import 'plugins.libsonnet';

plugins.with_topology(fdu_mtl.config('dc_mtl'), { type: 'flat' })
