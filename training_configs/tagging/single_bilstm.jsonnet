// Table 4 (chunking + NER + POS): single-task bidirectional LSTM (one domain/task, chosen by TASK).
// Run: TASK=ner CONLL2000_DIR=... CONLL2003_DIR=... PTB_POS_DIR=... \
//   allennlp train training_configs/tagging/single_bilstm.jsonnet -s output/tagging/single_bilstm-$TASK
// Settings and data variables: training_configs/README.md.
(import '../lib/tagging.libsonnet').single_task('bilstm')
