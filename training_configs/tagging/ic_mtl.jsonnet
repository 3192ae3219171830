// Table 4 (chunking + NER + POS): IC-MTL: indirect communication through a shared LSTM 'mailbox' node (eqs. 7-11).
// Run: CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/tagging/ic_mtl.jsonnet -s output/tagging/ic_mtl
// Settings and data variables: training_configs/README.md.
(import '../lib/tagging.libsonnet').config('ic_mtl')
