// Hierarchical MTL on chunking + NER + POS (Table 4) with the `hierarchical` topology plugin
// (plugins/hierarchical), in the order of Sogaard & Goldberg (2016) / Hashimoto et al. (2017):
// POS at the bottom, chunking above it, NER above both. Each task attends (alpha) over the
// tasks below it (transitively); POS receives no messages.
// Run: CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/plugins/hierarchical_tagging.jsonnet -s output/plugins/hierarchical_tagging
local plugins = import 'plugins.libsonnet';
local tagging = import '../lib/tagging.libsonnet';

plugins.with_topology(tagging.config('dc_mtl'), {
  type: 'hierarchical',
  order: { chunk: ['pos'], ner: ['pos', 'chunk'] },
})
