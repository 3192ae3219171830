// Table 1 (16 FDU-MTL domains): SP-MTL (Liu, Qiu & Huang 2017): shared + private LSTMs, adversarial task discriminator, orthogonality penalty.
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   allennlp train training_configs/fdu_mtl/sp_mtl.jsonnet -s output/fdu_mtl/sp_mtl
// Settings and data variables: training_configs/README.md.
(import '../lib/fdu_mtl.libsonnet').config('sp_mtl')
