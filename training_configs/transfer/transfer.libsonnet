// Leave-one-task-out transfer of IC-MTL's shared layer (Table 1, "Transfer" column, of
// Liu et al., AAAI 2019): train IC-MTL on 15 FDU-MTL domains (`source`), then a new network on
// the held-out 16th domain (`target`) whose shared layer (the shared LSTM, virtual node
// `shared`, theta^(s)) is copied from the source archive by AllenNLP's `pretrained`
// initializer and frozen by the trainer's `no_grad` regexes; everything else (embeddings, the
// new task's LSTM, its attention over the shared states, the fusion cell, the classifier) is
// freshly initialised and trained.
//
// Everything is set through one variable (environment or --ext-var), a JSON object:
//   GRAPH_MTL_TRANSFER='{"held_out": "books"}'                                  (source)
//   GRAPH_MTL_TRANSFER='{"held_out": "books", "source_archive": "runs/books/source/model.tar.gz"}'
// with optional keys
//   "tasks":    the domains of the protocol (default: the 16 FDU-MTL domains),
//   "settings": overrides of training_configs/lib/fdu_mtl.libsonnet's defaults, e.g.
//               {"num_epochs": 5, "embedding_dim": 50, "hidden_dim": 50}; source and target
//               must agree on embedding_dim, hidden_dim and bidirectional,
//   "source_settings": settings for the source run only, on top of "settings" (e.g.
//               {"num_epochs": 2}: fewer source epochs; the best dev epoch is still kept),
//   "transfer": which parts are copied and frozen: ["shared"] (default), plus "fusion" (the
//               fusion cell W_f, W_r, W_c) and/or "embeddings" (the source's word embeddings:
//               the target then uses the source's token vocabulary, extended only by its
//               label namespace, so the held-out task's unseen words map to @@UNKNOWN@@; a
//               stand-in for the paper's GloVe, which keeps the shared LSTM's input space),
//   "frozen":   false to copy the parts but fine-tune them (default true),
//   "pretrained": false for the no-transfer baseline (same target network, shared layer
//               fresh and trained; default true).
// The data folder is std.extVar('FDU_MTL_DIR') as for every FDU-MTL config.
// scripts/transfer.py runs the whole 16-fold protocol and tabulates the results.
local fdu = import '../lib/fdu_mtl.libsonnet';

local options = std.parseJson(std.extVar('GRAPH_MTL_TRANSFER'));
local get(key, default) = if std.objectHas(options, key) then options[key] else default;

local tasks = get('tasks', fdu.tasks);
local held_out =
  if !std.objectHas(options, 'held_out') then error 'GRAPH_MTL_TRANSFER needs "held_out": the task left out'
  else if !std.member(tasks, options.held_out) then error 'held_out ' + options.held_out + ' is not one of ' + std.toString(tasks)
  else options.held_out;
local settings = get('settings', {});

// Parameter names of the parts that transfer, in the graph_mtl model
// (_backbone._encoder = the ic_mtl encoder; every layer and direction).
local part_regexes = {
  shared: '^_backbone\\._encoder\\.(forward|backward)_layers\\.[0-9]+\\.nodes\\.shared\\.',
  fusion: '^_backbone\\._encoder\\.(forward|backward)_layers\\.[0-9]+\\.fusion\\.',
  embeddings: '^_backbone\\._text_field_embedder\\.token_embedder_tokens\\.',
};
local embedding_prevent_regex = '.*token_embedder.*';
local parts = get('transfer', ['shared']);
local regexes = [
  if std.objectHas(part_regexes, part) then part_regexes[part]
  else error 'unknown transfer part ' + part + '; use ' + std.toString(std.objectFields(part_regexes))
  for part in parts
];

{
  held_out:: held_out,
  regexes:: regexes,

  // IC-MTL on every task but the held-out one.
  source:: fdu.config('ic_mtl', [t for t in tasks if t != held_out], settings + get('source_settings', {})),

  // The new single-task IC-MTL network on the held-out task.
  target::
    local base = fdu.config('ic_mtl', [held_out], settings);
    local pretrained = get('pretrained', true);
    local frozen = get('frozen', true);
    local archive =
      if !pretrained then null
      else if !std.objectHas(options, 'source_archive') then error 'GRAPH_MTL_TRANSFER needs "source_archive": the source model.tar.gz'
      else options.source_archive;
    local embeddings = std.member(parts, 'embeddings');
    base + (
      if !pretrained then {} else {
        model+: {
          initializer+: {
            // the first matching regex wins: the transferred parts before the uniform default
            regexes: [[std.join('|', regexes), {
              type: 'pretrained',
              weights_file_path: archive,
              parameter_name_overrides: {},
            }]] + super.regexes,
          } + (if embeddings then {
            // the default config keeps every initializer off the embeddings
            prevent_regexes: [r for r in super.prevent_regexes if r != embedding_prevent_regex],
          } else {}),
        },
        trainer+: if frozen then { no_grad: regexes } else {},
      } + (if embeddings then {
        // the source's token indices (so its embedding rows fit), plus the new label namespace
        vocabulary: { type: 'extend', directory: archive, min_count: { tokens: 1000000000 } },
      } else {})
    ),
}
