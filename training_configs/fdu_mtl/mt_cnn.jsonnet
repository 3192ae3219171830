// Table 1 (16 FDU-MTL domains): MT-CNN (Collobert & Weston 2008): shared lookup table, task-specific convolutions.
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   allennlp train training_configs/fdu_mtl/mt_cnn.jsonnet -s output/fdu_mtl/mt_cnn
// Settings and data variables: training_configs/README.md.
(import '../lib/fdu_mtl.libsonnet').config('mt_cnn')
