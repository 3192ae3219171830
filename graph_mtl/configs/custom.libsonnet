// Your own tasks: every model of the paper on classification and tagging tasks named by you,
// read from JSON-lines files (graph_mtl's `jsonl` reader):
//
//   classification: {"text": "a sentence", "label": "pos"}   (text may be a list of tokens)
//   tagging:        {"tokens": ["EU", "rejects"], "tags": ["B-ORG", "O"]}
//
//   local custom = import 'graph_mtl/configs/custom.libsonnet';
//   custom.config('dc_mtl', {
//     reviews: { type: 'classification', train: 'data/reviews.train.jsonl',
//                dev: 'data/reviews.dev.jsonl', labels: ['neg', 'pos'] },
//     ner: { type: 'tagging', train: 'data/ner.train.jsonl', dev: 'data/ner.dev.jsonl',
//            source_scheme: 'IOB2' },
//   }, settings={ hidden_dim: 100 })
//
// Per task: `type` ('classification' or 'tagging'), `train` and `dev` (paths), optionally
// `labels` (classification: the label set; a label outside it is an error, not a new class)
// and `source_scheme` ('IOB1'/'IOB2': span tags, decoded as BIOUL by the CRF and scored by span
// F1; without it tags are scored by accuracy). `settings` are common.defaults' fields. Model
// kinds: common.models. The validation metric is the mean over tasks of accuracy
// (classification, tagging without spans) or span F1 (tagging with spans).
local common = import 'common.libsonnet';

{
  defaults:: common.defaults,

  task_types:: ['classification', 'tagging'],

  check(name, spec)::
    if !std.isObject(spec) || !std.objectHas(spec, 'type') || !std.member($.task_types, spec.type) then
      error ('task ' + name + ': give type ' + std.toString($.task_types) + ', got ' + std.toString(spec))
    else if !std.objectHas(spec, 'train') || !std.objectHas(spec, 'dev') then
      error ('task ' + name + ': give its train and dev files')
    else if std.length(std.findSubstr('.', name)) > 0 || name == '' then
      error ('task name ' + std.toString(name) + ': a task name may not be empty or contain a dot')
    else spec,

  spans(spec):: spec.type == 'tagging' && std.objectHas(spec, 'source_scheme') && spec.source_scheme != null,

  namespace(name, spec):: name + (if spec.type == 'tagging' then '_tags' else '_labels'),

  reader(name, spec, s):: {
    type: 'jsonl',
    task_type: spec.type,
    label_namespace: $.namespace(name, spec),
  } + (if std.objectHas(spec, 'labels') then { labels: spec.labels } else {})
    + (if $.spans(spec) then { source_scheme: spec.source_scheme, tag_scheme: 'BIOUL' } else {})
    + common.reader_settings(s),

  head(kind, name, spec, s)::
    if spec.type == 'classification' then {
      type: 'text_classifier',
      input_dim: common.encoder_output_dim(kind, s),
      label_namespace: $.namespace(name, spec),
    } + common.classifier_pooling(kind, s)
    else {
      type: 'crf_tagger',
      input_dim: common.encoder_output_dim(kind, s),
      label_namespace: $.namespace(name, spec),
    } + (if $.spans(spec) then { label_encoding: 'BIOUL' } else {}),

  metric(spec):: if $.spans(spec) then 'f1-measure-overall' else 'accuracy',

  config(kind, tasks, settings={})::
    local s = $.defaults + settings;
    local names = std.objectFields(tasks);
    local checked = { [t]: $.check(t, tasks[t]) for t in names };
    if std.length(names) == 0 then error 'no task given'
    else {
      dataset_reader: { type: 'multitask', readers: { [t]: $.reader(t, checked[t], s) for t in names } },
      train_data_path: { [t]: checked[t].train for t in names },
      validation_data_path: { [t]: checked[t].dev for t in names },
      model: common.model(kind, names, { [t]: $.head(kind, t, checked[t], s) for t in names }, s, {
        average_score: { metric: { [t]: $.metric(checked[t]) for t in names } },
      }),
    } + common.training(s, '+average_score'),
}
