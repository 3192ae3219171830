// Table 4 (chunking + NER + POS): FS-MTL: one LSTM fully shared by all tasks, task-specific output layers.
// Run: CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/tagging/fs_mtl.jsonnet -s output/tagging/fs_mtl
// Settings and data variables: training_configs/README.md.
(import '../lib/tagging.libsonnet').config('fs_mtl')
