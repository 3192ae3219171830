// Table 4 (chunking + NER + POS): DC-MTL: direct communication between the task LSTMs (message passing, eqs. 3-6, 9-11).
// Run: CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/tagging/dc_mtl.jsonnet -s output/tagging/dc_mtl
// Settings and data variables: training_configs/README.md.
(import '../lib/tagging.libsonnet').config('dc_mtl')
