// Table 1 (16 FDU-MTL domains): DC-MTL: direct communication between the task LSTMs (message passing, eqs. 3-6, 9-11).
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   allennlp train training_configs/fdu_mtl/dc_mtl.jsonnet -s output/fdu_mtl/dc_mtl
// Settings and data variables: training_configs/README.md.
(import '../lib/fdu_mtl.libsonnet').config('dc_mtl')
