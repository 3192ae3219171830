// Hierarchical MTL on POS + chunking + NER with the `hierarchical` topology plugin
// (plugins/hierarchical), the order of Sogaard & Goldberg (2016) / Hashimoto et al. (2017):
// POS at the bottom, chunking above it, NER above both. Each task attends (alpha) over the
// tasks below it; POS receives no messages.
// Needs PTB_POS_DIR, CONLL2000_DIR, CONLL2003_DIR (see plugins.libsonnet).
local plugins = import 'plugins.libsonnet';

plugins.tagging({
  type: 'hierarchical',
  order: { chunk: ['pos'], ner: ['pos', 'chunk'] },
})
