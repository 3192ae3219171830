// Table 1 (16 FDU-MTL domains): IC-MTL: indirect communication through a shared LSTM 'mailbox' node (eqs. 7-11).
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   allennlp train training_configs/fdu_mtl/ic_mtl.jsonnet -s output/fdu_mtl/ic_mtl
// Settings and data variables: training_configs/README.md.
(import '../lib/fdu_mtl.libsonnet').config('ic_mtl')
