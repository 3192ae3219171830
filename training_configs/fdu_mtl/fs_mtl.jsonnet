// Table 1 (16 FDU-MTL domains): FS-MTL: one LSTM fully shared by all tasks, task-specific output layers.
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   allennlp train training_configs/fdu_mtl/fs_mtl.jsonnet -s output/fdu_mtl/fs_mtl
// Settings and data variables: training_configs/README.md.
(import '../lib/fdu_mtl.libsonnet').config('fs_mtl')
