// Table 1 of Liu et al. (AAAI 2019): sentiment classification on the 16 FDU-MTL domains.
//
// Data: std.extVar('FDU_MTL_DIR'), the folder holding <domain>.task.train files (e.g.
// /work/shared/data/fdu-mtl). Train = all but the last `dev_size` (200) lines of each
// .task.train, dev = those lines (the usual split; the test files are evaluated separately).
local common = import 'common.libsonnet';

{
  tasks:: [
    'apparel', 'baby', 'books', 'camera_photo', 'dvd', 'electronics', 'health_personal_care',
    'imdb', 'kitchen_housewares', 'magazines', 'MR', 'music', 'software', 'sports_outdoors',
    'toys_games', 'video',
  ],

  // FDU-MTL specifics on top of common.defaults. Word vectors: std.extVar('FDU_MTL_VECTORS'),
  // a GloVe-format file (`make vectors` writes vectors/fdu_mtl.w2v.200d.txt); empty (the
  // default graph_mtl sets on import) = embeddings learned from random initialisation.
  defaults:: common.defaults + {
    dev_size: 200,
    pretrained_file: common.vectors_variable('FDU_MTL_VECTORS'),
  },

  reader(task, s):: {
    type: 'fdu_mtl',
    label_namespace: task + '_labels',
    dev_size: s.dev_size,
    // sports_outdoors.task.train line 1121 is `0<TAB>` (no text): skipped with a warning.
    on_bad_line: 'skip',
  } + common.reader_settings(s),

  head(kind, task, s):: {
    type: 'text_classifier',
    input_dim: common.encoder_output_dim(kind, s),
    label_namespace: task + '_labels',
  } + common.classifier_pooling(kind, s),

  // A complete config: `kind` is one of common.models; `tasks` the domains to train on
  // together (one for the single-task baselines); `settings` overrides `defaults`.
  config(kind, tasks=$.tasks, settings={})::
    local s = $.defaults + settings;
    local dir = std.extVar('FDU_MTL_DIR');
    local unknown = [t for t in tasks if !std.member($.tasks, t)];
    if std.length(unknown) > 0 then error 'unknown FDU-MTL domain(s) ' + std.toString(unknown)
    else if std.length(tasks) == 0 then error 'no FDU-MTL domain given'
    else {
      dataset_reader: { type: 'multitask', readers: { [t]: $.reader(t, s) for t in tasks } },
      train_data_path: { [t]: dir + '/' + t + '.task.train#train' for t in tasks },
      validation_data_path: { [t]: dir + '/' + t + '.task.train#dev' for t in tasks },
      model: common.model(kind, tasks, { [t]: $.head(kind, t, s) for t in tasks }, s),
    } + common.training(s, '+average_accuracy'),

  // The single-task baselines train one domain, named by std.extVar('TASK').
  single_task(kind, settings={}):: $.config(kind, [std.extVar('TASK')], settings),
}
