// Table 1 (16 FDU-MTL domains): single-task LSTM (one domain/task, chosen by TASK).
// Run: TASK=books FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   allennlp train training_configs/fdu_mtl/single_lstm.jsonnet -s output/fdu_mtl/single_lstm-$TASK
// Settings and data variables: training_configs/README.md.
(import '../lib/fdu_mtl.libsonnet').single_task('lstm')
