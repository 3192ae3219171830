// Table 4 (chunking + NER + POS): MT-CNN (Collobert & Weston 2008): shared lookup table, task-specific convolutions.
// Run: CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/tagging/mt_cnn.jsonnet -s output/tagging/mt_cnn
// Settings and data variables: training_configs/README.md.
(import '../lib/tagging.libsonnet').config('mt_cnn')
