// Pieces shared by every graph-mtl training config: paper defaults (Liu et al., AAAI 2019),
// the encoder of each model of Tables 1 and 4, the backbone, the model and the trainer.
//
// `settings` objects: the configs pass `common.defaults + { ...overrides... }`.
{
  // Paper hyperparameters: hidden 200, embeddings 200 (GloVe dimension), uniform init in
  // [-0.1, 0.1], mini-batch 8; Adam with sparse embedding updates instead of the paper's
  // AdaDelta (`paper_recipe`).
  defaults:: {
    embedding_dim: 200,
    hidden_dim: 200,
    // GloVe-format text file (word v1 v2 ...), embedding_dim must match. None ships with
    // graph-mtl; null = embeddings learned from scratch.
    pretrained_file: null,
    // false: the word embeddings stay as initialised (pretrained vectors frozen); no embedding
    // gradient is computed at all.
    train_embeddings: true,
    // Character features of every token, concatenated with its word embedding and shared by all
    // tasks (allennlp's `characters` indexer and `character_encoding` embedder): null (none), or
    //   { encoder: 'cnn', embedding_dim: 30, output_dim: 50, window: 3 }   (Ma & Hovy 2016), or
    //   { encoder: 'lstm', embedding_dim: 25, output_dim: 50 }   (a BiLSTM, 25 per direction;
    //   Lample et al. 2016); optional `dropout` on the character embeddings.
    char_features: null,
    // Lowercase every word before its embedding lookup (vocabulary and pretrained vectors then
    // lowercase: train them with scripts/train_vectors.py --lowercase --lowercase-training);
    // character features still see the original case.
    lowercase_tokens: false,
    init_range: 0.1,
    batch_size: 8,
    validation_batch_size: 64,
    // Length bucketing: batches of sentences of similar length (allennlp's bucket sampler),
    // shuffled. Same instances and batch count per epoch. Padded positions per real token of an
    // FDU-MTL epoch in batches of 8: 2.66 random, 1.035 sorted, 1.064 with 5% length noise,
    // 1.102 with allennlp's default 10%. false = random batches.
    bucketing: true,
    padding_noise: 0.05,
    // How the tasks share an epoch's batches: null = every training instance once per epoch,
    // each task's batches interleaved at random (so tasks are drawn in proportion to their size);
    // or a task sampler, its name or its config: allennlp's 'uniform', 'proportional',
    // {type: 'weighted', weights: {...}}, graph-mtl's {type: 'temperature', temperature: 2},
    // {type: 'annealed', min_alpha: 0.2} (num_epochs defaults to the setting), {type: 'fixed', ...}
    // (graph_mtl/data/data_loaders/task_samplers.py). A sampler draws instances_per_epoch
    // instances an epoch (null = as many as the training data has).
    task_sampler: null,
    instances_per_epoch: null,
    num_epochs: 30,
    patience: 5,
    // Adam with sparse embedding gradients (allennlp's dense_sparse_adam: lazy Adam on the rows
    // of the batch, Adam on the rest): a dense update of the ~80k x 200 FDU-MTL embedding costs
    // 133 ms per batch of 8 (368 s per epoch), a sparse one 1.7 ms
    // (benchmarks/results/embedding-update.md). The paper's AdaDelta: `paper_recipe` below.
    optimizer: { type: 'dense_sparse_adam', lr: 0.001 },
    // Sparse embedding gradients: 'auto' = when the optimizer can apply them
    // (dense_sparse_adam, sgd, adagrad), true (an error with any other optimizer), false.
    sparse_embeddings: 'auto',
    grad_norm: null,
    // TensorBoard event files (loss, metrics, parameter statistics every 100 batches) in
    // <serialization dir>/log; view with `tensorboard --logdir <dir>` (pip install tensorboard).
    tensorboard: true,
    embedding_dropout: 0.0,
    encoder_dropout: 0.0,
    // Word dropout: in training, each word is read as @@UNKNOWN@@ with this probability (the
    // characters still see it), so the unknown word's embedding learns what an unseen word is.
    word_dropout: 0.0,
    // Which words get a row in the embedding matrix:
    //   'train_and_dev'      allennlp's default: every word of the training and validation data
    //                        (a validation word seen nowhere in training gets a pretrained vector
    //                        if it has one, else an untrained random one);
    //   'train_and_vectors'  the training words and every word of pretrained_file; validation
    //                        words outside both are read as @@UNKNOWN@@, as any unseen word is at
    //                        prediction time (with word_dropout, a trained vector). Labels
    //                        come from the training data only: a validation label that no
    //                        training instance has is refused, with its file and line.
    vocabulary: 'train_and_dev',
    // Truncate every instance to this many tokens (null: keep whole sentences).
    max_tokens: null,
    // lambda_k of eq. 14, per task (missing tasks: 1).
    loss_weights: {},
    stacked_layers: 2,  // stacked LSTM baseline
    cnn_window: 3,  // MT-CNN convolution window
    cnn_layers: 1,  // MT-CNN task-specific convolution layers
    cnn_shared_layers: 0,
    sp_adversarial_weight: 0.05,  // SP-MTL lambda (Liu, Qiu & Huang 2017)
    sp_orthogonality_weight: 0.01,  // SP-MTL gamma
    // Classifier sentence representation: null = per model (see classifier_pooling below),
    // or 'last' / 'max' / 'mean' for every model.
    pooling: null,
    bidirectional: false,  // FS-MTL / DC-MTL / IC-MTL / SP-MTL direction (the paper's equations are left to right)
    // DC-MTL: whether task k's loss trains the other tasks' LSTMs that send it messages (the
    // paper's joint training). false = stop-gradient on the messages: about half the time of a
    // DC-MTL step (benchmarks/results/SUMMARY.md); each task LSTM then learns from its own task.
    task_message_gradients: true,
    // DC-MTL / IC-MTL attention: softmax(scores / attention_temperature) (1 = the paper; below 1
    // sharper and, under Adam, faster-moving attention: results/planted/README.md) and the rows
    // of W (null = hidden_dim).
    attention_temperature: 1.0,
    attention_dim: null,
    // DC-MTL: a learned vector per edge i -> k inside the attention score (false = the paper).
    source_embeddings: false,
    // DC-MTL / IC-MTL: weight of the attention's mean entropy in the loss (0 = the paper;
    // positive sharpens, negative spreads; neither helped on the planted benchmark).
    attention_entropy: 0.0,
    // DC-MTL / IC-MTL: in training, dropout on each task's own (fusion) LSTM input only, so that
    // it must get what it lost from its messages (0 = the paper; results/planted/README.md).
    own_input_dropout: 0.0,
    seed: 13,
    cuda_device: -1,
  },

  // The paper's optimizer (AdaDelta, lr 1.0, rho 0.95) and dense embedding updates:
  // `config(kind, tasks, common.paper_recipe + {...})`, or on the command line
  // -o '{"trainer.optimizer": {"type": "adadelta", "lr": 1.0, "rho": 0.95, "eps": 1e-6},
  //      "model.backbone.text_field_embedder.token_embedders.tokens.sparse": false}'.
  paper_recipe:: {
    optimizer: { type: 'adadelta', lr: 1.0, rho: 0.95, eps: 1e-6 },
    sparse_embeddings: false,
  },

  // The file named by an optional vectors variable (FDU_MTL_VECTORS, TAGGING_VECTORS), null
  // when it is empty.
  vectors_variable(name)::
    local value = std.extVar(name);
    if value == '' then null else value,

  sparse_optimizers:: ['dense_sparse_adam', 'sgd', 'adagrad'],

  // Whether the embedder's gradients are sparse under settings `s`.
  sparse_embeddings(s)::
    local capable = std.member($.sparse_optimizers, s.optimizer.type);
    if s.sparse_embeddings == 'auto' then capable
    else if s.sparse_embeddings == true && !capable then
      error ('sparse_embeddings: true needs an optimizer that applies sparse gradients ('
             + std.join(', ', $.sparse_optimizers) + '), not ' + s.optimizer.type
             + "; use sparse_embeddings: 'auto' or false")
    else if std.type(s.sparse_embeddings) != 'boolean' then
      error ("sparse_embeddings must be 'auto', true or false, not " + std.toString(s.sparse_embeddings))
    else s.sparse_embeddings,

  models:: ['lstm', 'bilstm', 'stacked_lstm', 'mt_cnn', 'fs_mtl', 'sp_mtl', 'dc_mtl', 'ic_mtl'],
  single_task_models:: ['lstm', 'bilstm', 'stacked_lstm'],

  // The encoder of each model; `tasks` are the task names of the model.
  encoder(kind, tasks, s)::
    // padded_lstm = allennlp's `lstm` without packing (whose CPU backward is quadratic in the
    // sentence length; graph_mtl/modules/seq2seq_encoders/padded_lstm.py)
    local lstm(layers, bidirectional) = {
      type: 'padded_lstm',
      input_size: $.input_dim(s),
      hidden_size: s.hidden_dim,
      num_layers: layers,
      bidirectional: bidirectional,
    };
    if kind == 'lstm' then lstm(1, false)
    // FS-MTL reads in the direction(s) of DC-MTL / IC-MTL / SP-MTL: like-for-like baselines
    else if kind == 'fs_mtl' then lstm(1, s.bidirectional)
    else if kind == 'bilstm' then lstm(1, true)
    else if kind == 'stacked_lstm' then lstm(s.stacked_layers, false)
    else if kind == 'mt_cnn' then {
      type: 'mt_cnn',
      tasks: tasks,
      input_dim: $.input_dim(s),
      hidden_dim: s.hidden_dim,
      window_size: s.cnn_window,
      num_layers: s.cnn_layers,
      shared_layers: s.cnn_shared_layers,
    }
    else if kind == 'sp_mtl' then {
      type: 'shared_private',
      tasks: tasks,
      input_dim: $.input_dim(s),
      hidden_dim: s.hidden_dim,
      bidirectional: s.bidirectional,
      adversarial_weight: s.sp_adversarial_weight,
      orthogonality_weight: s.sp_orthogonality_weight,
    }
    else if kind == 'dc_mtl' || kind == 'ic_mtl' then {
      type: kind,
      tasks: tasks,
      input_dim: $.input_dim(s),
      hidden_dim: s.hidden_dim,
      bidirectional: s.bidirectional,
    } + (if s.task_message_gradients then {} else { task_message_gradients: false })
    + (if s.attention_temperature == 1.0 then {} else { temperature: s.attention_temperature })
    + (if s.attention_dim == null then {} else { attention_dim: s.attention_dim })
    + (if s.attention_entropy == 0 then {} else { attention_entropy: s.attention_entropy })
    + (if s.own_input_dropout == 0 then {} else { own_input_dropout: s.own_input_dropout })
    + (if !s.source_embeddings then {}
       else if kind == 'dc_mtl' then { source_embeddings: true }
       else error 'source_embeddings is a DC-MTL setting (edges between tasks), not one of ' + kind)
    else error 'unknown model ' + kind + '; use one of ' + std.toString($.models),

  encoder_is_bidirectional(kind, s)::
    kind == 'bilstm' || (std.member(['fs_mtl', 'sp_mtl', 'dc_mtl', 'ic_mtl'], kind) && s.bidirectional),

  encoder_output_dim(kind, s)::
    local directions = if $.encoder_is_bidirectional(kind, s) then 2 else 1;
    if kind == 'sp_mtl' then 2 * directions * s.hidden_dim else directions * s.hidden_dim,

  // How a classifier reads a sentence vector off the encoder: the last state (the paper),
  // both directions' last states for a BiLSTM, max over time for MT-CNN (Collobert & Weston)
  // and for bidirectional SP-MTL (whose output is [private; shared], not [forward; backward]).
  classifier_pooling(kind, s)::
    if s.pooling != null then { pooling: s.pooling }
    + (if s.pooling == 'last' && kind != 'sp_mtl' && $.encoder_is_bidirectional(kind, s) then { bidirectional: true } else {})
    else if kind == 'mt_cnn' || (kind == 'sp_mtl' && s.bidirectional) then { pooling: 'max' }
    else if kind == 'bilstm' || (std.member(['fs_mtl', 'dc_mtl', 'ic_mtl'], kind) && s.bidirectional) then { pooling: 'last', bidirectional: true }
    else { pooling: 'last' },

  char_encoders:: ['cnn', 'lstm'],

  // The checked character settings (null when off).
  char_features(s)::
    local c = s.char_features;
    if c == null then null
    else if !std.isObject(c) || !std.objectHas(c, 'encoder') || !std.member($.char_encoders, c.encoder) then
      error ('char_features must be null or an object with encoder ' + std.toString($.char_encoders)
             + ', embedding_dim, output_dim (cnn: window); got ' + std.toString(c))
    else if c.encoder == 'lstm' && c.output_dim % 2 != 0 then
      error 'char_features: a BiLSTM character encoder needs an even output_dim'
    else { embedding_dim: 30, output_dim: 50, window: 3, dropout: 0.0 } + c,

  // Size of what the encoders read per token: the word embedding (+ character features).
  input_dim(s)::
    local c = $.char_features(s);
    s.embedding_dim + (if c == null then 0 else c.output_dim),

  // The readers' token indexers: words, lowercased or not (and characters, padded to the CNN
  // window); {} = the readers' default (words as they are).
  token_indexers(s)::
    local c = $.char_features(s);
    if std.type(s.lowercase_tokens) != 'boolean' then
      error ('lowercase_tokens must be true or false, not ' + std.toString(s.lowercase_tokens))
    else if c == null && !s.lowercase_tokens then {} else {
      token_indexers: {
        tokens: { type: 'single_id' } + (if s.lowercase_tokens then { lowercase_tokens: true } else {}),
      } + (if c == null then {} else {
        token_characters: { type: 'characters', min_padding_length: if c.encoder == 'cnn' then c.window else 1 },
      }),
    },

  char_embedder(c):: {
    type: 'character_encoding',
    embedding: { embedding_dim: c.embedding_dim, vocab_namespace: 'token_characters' },
    encoder: if c.encoder == 'cnn' then {
      type: 'cnn',
      embedding_dim: c.embedding_dim,
      num_filters: c.output_dim,
      ngram_filter_sizes: [c.window],
    } else {
      type: 'lstm',
      input_size: c.embedding_dim,
      hidden_size: c.output_dim / 2,
      bidirectional: true,
    },
    dropout: c.dropout,
  },

  embedder(s):: {
    local c = $.char_features(s),
    token_embedders: {
      tokens: { type: 'embedding', embedding_dim: s.embedding_dim, trainable: s.train_embeddings, sparse: $.sparse_embeddings(s) }
              + (if s.pretrained_file == null then {} else { pretrained_file: s.pretrained_file }),
    } + (if c == null then {} else { token_characters: $.char_embedder(c) }),
  },

  // Uniform [-r, r] for every parameter except the embeddings (GloVe when given, else
  // allennlp's default) and the CRF's fixed transition-constraint mask.
  initializer(s):: {
    regexes: [['.*', { type: 'uniform', a: -s.init_range, b: s.init_range }]],
    prevent_regexes: ['.*token_embedder.*', '.*_constraint_mask.*'],
  },

  model(kind, tasks, heads, s, task_averages=null):: {
    type: 'graph_mtl',
    backbone: {
      type: 'graph_mtl',
      text_field_embedder: $.embedder(s),
      encoder: $.encoder(kind, tasks, s),
      embedding_dropout: s.embedding_dropout,
      encoder_dropout: s.encoder_dropout,
    } + (if s.word_dropout == 0 then {} else { word_dropout: s.word_dropout }),
    heads: heads,
    loss_weights: s.loss_weights,
    initializer: $.initializer(s),
  } + (if task_averages == null then {} else { task_averages: task_averages }),

  // Everything but the model and data: loaders, trainer, seeds.
  training(s, validation_metric):: {
    data_loader: {
      type: 'graph_mtl_multitask',
      batch_size: s.batch_size,
      batching: 'homogeneous',
      shuffle: true,
      seed: s.seed,
      quiet: true,
    } + $.bucketing(s) + $.task_sampling(s),
    validation_data_loader: {
      type: 'graph_mtl_multitask',
      batch_size: s.validation_batch_size,
      batching: 'homogeneous',
      shuffle: false,
      seed: s.seed,
      quiet: true,
    } + $.bucketing(s),
    trainer: {
      optimizer: s.optimizer,
      num_epochs: s.num_epochs,
      patience: s.patience,
      validation_metric: validation_metric,
      cuda_device: s.cuda_device,
      // crash-safe checkpoints: atomic files, the best epoch's never rotated away, --recover
      // past a broken newest one (graph_mtl/training/checkpointer.py)
      checkpointer: { type: 'graph_mtl' },
      // allennlp's console logger without its dump of the first batch's tensors, and
      // TensorBoard event files in <serialization dir>/log (`tensorboard --logdir runs/`).
      enable_default_callbacks: false,
      callbacks: [{ type: 'console_logger', should_log_inputs: false }]
                 + (if s.tensorboard then [{ type: 'tensorboard' }] else []),
    } + (if s.grad_norm == null then {} else { grad_norm: s.grad_norm }),
    random_seed: s.seed,
    numpy_seed: s.seed,
    pytorch_seed: s.seed,
  } + $.vocabulary(s),

  vocabularies:: ['train_and_dev', 'train_and_vectors'],

  // The top-level vocabulary keys of `settings.vocabulary` ({} = allennlp's default).
  vocabulary(s)::
    if s.vocabulary == 'train_and_dev' then {}
    else if s.vocabulary == 'train_and_vectors' then { datasets_for_vocab_creation: ['train'] } + (
      if s.pretrained_file == null then {} else {
        vocabulary: {
          type: 'from_instances',
          pretrained_files: { tokens: s.pretrained_file },
          min_pretrained_embeddings: { tokens: -1 },  // -1: every word of the file
        },
      }
    )
    else error ('vocabulary must be one of ' + std.toString($.vocabularies) + ', not ' + std.toString(s.vocabulary)),

  bucketing(s):: if s.bucketing then { bucketing: true, sorting_keys: ['tokens'], padding_noise: s.padding_noise } else {},

  // The training loader's task sampler and epoch size (settings task_sampler, instances_per_epoch).
  task_sampling(s)::
    local given = s.task_sampler;
    local sampler =
      if std.type(given) == 'string' then { type: given }
      else if std.type(given) == 'object' && std.objectHas(given, 'type') then given
      else error ('task_sampler must be null, a sampler name or an object with a type, not '
                  + std.toString(given));
    if given == null then
      (if s.instances_per_epoch == null then {}
       else error 'instances_per_epoch needs a task_sampler (without one an epoch is the whole training data)')
    else {
      sampler: sampler + (if sampler.type == 'annealed' && !std.objectHas(sampler, 'num_epochs')
                          then { num_epochs: s.num_epochs } else {}),
    } + (if s.instances_per_epoch == null then {} else { instances_per_epoch: s.instances_per_epoch }),

  // The readers' max_tokens, when set.
  truncation(s):: if s.max_tokens == null then {} else { max_tokens: s.max_tokens },

  // Everything a reader takes from the settings: truncation and token indexers.
  reader_settings(s):: $.truncation(s) + $.token_indexers(s),
}
