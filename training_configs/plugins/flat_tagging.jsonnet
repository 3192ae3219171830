// FS-MTL on chunking + NER + POS (Table 4) with the `flat` topology plugin (plugins/flat).
// Run: CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/plugins/flat_tagging.jsonnet -s output/plugins/flat_tagging
local plugins = import 'plugins.libsonnet';
local tagging = import '../lib/tagging.libsonnet';

plugins.with_topology(tagging.config('dc_mtl'), { type: 'flat' })
