// Table 4 of Liu et al. (AAAI 2019): chunking (CoNLL-2000), NER (CoNLL-2003) and POS tagging
// (PTB WSJ), each with a CRF output layer.
//
// Data (std.extVar):
//   CONLL2000_DIR  folder with train.txt (no dev file: dev = `chunk_dev_size` sentences of it
//                  drawn with `chunk_dev_seed`, the same for every model and training seed)
//   CONLL2003_DIR  folder with eng.train and eng.testa (dev)
//   PTB_POS_DIR    folder with "Secs0-18 - training" and "Secs19-21 - development"
// Chunk and NER tags are converted to BIOUL by the readers; CRF decoding is constrained to
// legal BIOUL transitions and span F1 is reported. POS has no spans (accuracy only).
local common = import 'common.libsonnet';

{
  tasks:: ['chunk', 'ner', 'pos'],

  // Word vectors: std.extVar('TAGGING_VECTORS'), a GloVe-format file (scripts/train_vectors.py);
  // empty (the default graph_mtl sets on import) = embeddings learned from scratch.
  defaults:: common.defaults + {
    // CoNLL-2000 dev: 1,000 of train.txt's 8,936 sentences (about the size of its 2,012-sentence
    // test set halved), a seeded random draw; null = its last chunk_dev_size sentences.
    chunk_dev_size: 1000,
    chunk_dev_seed: 2000,
    pretrained_file: common.vectors_variable('TAGGING_VECTORS'),
  },

  task_data(task, s)::
    if task == 'chunk' then {
      local dir = std.extVar('CONLL2000_DIR'),
      // The columns of `conll2000_tagging`, spelled out: that reader (and conll2003_tagging)
      // cannot be built from a config yet (allennlp asks for the parent's `columns`).
      reader: {
        type: 'conll_columns',
        columns: ['word', 'pos', 'chunk'],
        label_column: 'chunk',
        source_scheme: 'IOB2',
        tag_scheme: 'BIOUL',
        dev_size: s.chunk_dev_size,
      } + (if s.chunk_dev_seed == null then {} else { dev_seed: s.chunk_dev_seed }),
      train: dir + '/train.txt#train',
      dev: dir + '/train.txt#dev',
      encoding: 'BIOUL',
    }
    else if task == 'ner' then {
      local dir = std.extVar('CONLL2003_DIR'),
      reader: {
        type: 'conll_columns',
        columns: ['word', 'pos', 'chunk', 'ner'],
        label_column: 'ner',
        source_scheme: 'IOB1',  // the original CoNLL-2003 files
        tag_scheme: 'BIOUL',
      },
      train: dir + '/eng.train',
      dev: dir + '/eng.testa',
      encoding: 'BIOUL',
    }
    else if task == 'pos' then {
      local dir = std.extVar('PTB_POS_DIR'),
      reader: { type: 'ptb_pos' },
      train: dir + '/Secs0-18 - training',
      dev: dir + '/Secs19-21 - development',
      encoding: null,
    }
    else error 'unknown tagging task ' + task + '; use one of ' + std.toString($.tasks),

  reader(task, s):: $.task_data(task, s).reader + { label_namespace: task + '_tags' } + common.reader_settings(s),

  head(kind, task, s)::
    local encoding = $.task_data(task, s).encoding;
    {
      type: 'crf_tagger',
      input_dim: common.encoder_output_dim(kind, s),
      label_namespace: task + '_tags',
    } + (if encoding == null then {} else { label_encoding: encoding }),

  // The paper's Table 4 scores: F1 for chunking and NER, accuracy for POS; their mean is
  // the validation metric.
  task_averages(tasks):: {
    average_score: {
      metric: {
        [t]: (if t == 'pos' then 'accuracy' else 'f1-measure-overall')
        for t in tasks
      },
    },
    average_accuracy: { metric: 'accuracy' },
    average_f1: { metric: 'f1-measure-overall' },
  },

  config(kind, tasks=$.tasks, settings={})::
    local s = $.defaults + settings;
    if std.length(tasks) == 0 then error 'no tagging task given'
    else {
      dataset_reader: { type: 'multitask', readers: { [t]: $.reader(t, s) for t in tasks } },
      train_data_path: { [t]: $.task_data(t, s).train for t in tasks },
      validation_data_path: { [t]: $.task_data(t, s).dev for t in tasks },
      model: common.model(
        kind, tasks, { [t]: $.head(kind, t, s) for t in tasks }, s, $.task_averages(tasks)
      ),
    } + common.training(s, '+average_score'),

  single_task(kind, settings={}):: $.config(kind, [std.extVar('TASK')], settings),
}
