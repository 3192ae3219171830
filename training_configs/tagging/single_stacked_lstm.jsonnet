// Table 4 (chunking + NER + POS): single-task stacked (2-layer) LSTM (one domain/task, chosen by TASK).
// Run: TASK=ner CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/tagging/single_stacked_lstm.jsonnet -s output/tagging/single_stacked_lstm-$TASK
// Settings and data variables: training_configs/README.md.
(import '../lib/tagging.libsonnet').single_task('stacked_lstm')
