// Shared pieces of the plugin-topology configs (training_configs/plugins/*.jsonnet).
//
// `classification(topology)`: the 16 FDU-MTL sentiment tasks (paper, Table 1).
// `tagging(topology)`: POS + chunking + NER (paper, Table 4).
// `topology` is the encoder's topology object, e.g. {type: "flat"} or
// {type: "hierarchical", order: {...}}; the rest is the paper's set-up: hidden size 200,
// uniform initialisation in [-0.1, 0.1], mini-batches of 8, AdaDelta.
//
// Data locations are external variables (environment variables work too), read only by the
// config that needs them:
//   FDU_MTL_DIR    directory with <task>.task.train (dev = the last 200 lines of each file)
//   PTB_POS_DIR    directory with "Secs0-18 - training" and "Secs19-21 - development"
//   CONLL2000_DIR  directory with train.txt (dev = its last 1000 sentences)
//   CONLL2003_DIR  directory with eng.train and eng.testa (dev)
{
  fdu_mtl_tasks:: [
    'apparel', 'baby', 'books', 'camera_photo', 'dvd', 'electronics', 'health_personal_care',
    'imdb', 'kitchen_housewares', 'magazines', 'MR', 'music', 'software', 'sports_outdoors',
    'toys_games', 'video',
  ],
  tagging_tasks:: ['pos', 'chunk', 'ner'],

  local initializer = {
    regexes: [['.*(weight|bias).*', { type: 'uniform', a: -0.1, b: 0.1 }]],
  },
  local trainer(metric) = {
    optimizer: { type: 'adadelta', lr: 1.0, rho: 0.95 },
    num_epochs: 20,
    patience: 5,
    grad_norm: 5.0,
    validation_metric: metric,
    cuda_device: -1,
  },
  local loader = {
    type: 'multitask',
    // homogeneous batches: one task per batch, as in the paper's Algorithm 1
    scheduler: { type: 'homogeneous_roundrobin', batch_size: 8 },
    shuffle: true,
  },
  local backbone(tasks, topology, embedding_dim, hidden_dim, bidirectional) = {
    type: 'graph_mtl',
    text_field_embedder: {
      token_embedders: { tokens: { type: 'embedding', embedding_dim: embedding_dim } },
    },
    encoder: {
      type: 'message_passing',
      tasks: tasks,
      input_dim: embedding_dim,
      hidden_dim: hidden_dim,
      bidirectional: bidirectional,
      topology: topology,
    },
  },

  classification(topology, tasks=self.fdu_mtl_tasks, embedding_dim=200, hidden_dim=200):: {
    local data_dir = std.extVar('FDU_MTL_DIR'),
    dataset_reader: {
      type: 'multitask',
      readers: { [task]: { type: 'fdu_mtl', label_namespace: task + '_labels' } for task in tasks },
    },
    train_data_path: { [task]: data_dir + '/' + task + '.task.train#train' for task in tasks },
    validation_data_path: { [task]: data_dir + '/' + task + '.task.train#dev' for task in tasks },
    data_loader: loader,
    model: {
      type: 'graph_mtl',
      backbone: backbone(tasks, topology, embedding_dim, hidden_dim, false),
      heads: {
        [task]: {
          type: 'text_classifier',
          input_dim: hidden_dim,
          pooling: 'last',  // the sentence is its last hidden state
          label_namespace: task + '_labels',
        }
        for task in tasks
      },
      initializer: initializer,
    },
    trainer: trainer('+average_accuracy'),
  },

  tagging(topology, embedding_dim=200, hidden_dim=200):: {
    local tasks = $.tagging_tasks,
    // Chunking and NER are read with `conll_columns` and the corpora's columns spelled out
    // (the same reading as `conll2000_tagging` / `conll2003_tagging`, -DOCSTART- lines skipped).
    local readers = {
      pos: { type: 'ptb_pos', label_namespace: 'pos_tags' },
      chunk: {
        type: 'conll_columns',
        columns: ['word', 'pos', 'chunk'],  // CoNLL-2000, chunks in IOB2
        label_column: 'chunk',
        source_scheme: 'IOB2',
        tag_scheme: 'BIOUL',
        dev_size: 1000,
        label_namespace: 'chunk_tags',
      },
      ner: {
        type: 'conll_columns',
        columns: ['word', 'pos', 'chunk', 'ner'],  // CoNLL-2003, tags in IOB1
        label_column: 'ner',
        source_scheme: 'IOB1',
        tag_scheme: 'BIOUL',
        label_namespace: 'ner_tags',
      },
    },
    dataset_reader: { type: 'multitask', readers: readers },
    train_data_path: {
      pos: std.extVar('PTB_POS_DIR') + '/Secs0-18 - training',
      chunk: std.extVar('CONLL2000_DIR') + '/train.txt#train',
      ner: std.extVar('CONLL2003_DIR') + '/eng.train',
    },
    validation_data_path: {
      pos: std.extVar('PTB_POS_DIR') + '/Secs19-21 - development',
      chunk: std.extVar('CONLL2000_DIR') + '/train.txt#dev',
      ner: std.extVar('CONLL2003_DIR') + '/eng.testa',
    },
    data_loader: loader,
    model: {
      type: 'graph_mtl',
      backbone: backbone(tasks, topology, embedding_dim, hidden_dim, true),
      heads: {
        [task]: {
          type: 'crf_tagger',
          input_dim: 2 * hidden_dim,
          label_namespace: task + '_tags',
          [if task != 'pos' then 'label_encoding']: 'BIOUL',
        }
        for task in tasks
      },
      initializer: initializer,
    },
    // mean span F1 of chunking and NER (POS accuracy is reported as average_accuracy too)
    trainer: trainer('+average_f1'),
  },
}
