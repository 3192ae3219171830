// Table 4 (chunking + NER + POS): SP-MTL (Liu, Qiu & Huang 2017): shared + private LSTMs, adversarial task discriminator, orthogonality penalty.
// Run: CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/tagging/sp_mtl.jsonnet -s output/tagging/sp_mtl
// Settings and data variables: training_configs/README.md.
(import '../lib/tagging.libsonnet').config('sp_mtl')
