// table4, recipe 'cpu_unseen': DC-MTL on chunk, ner, pos, seed 14.
// Written by scripts/reproduce.py; `allennlp train` on this file repeats the run
// (CONLL2000_DIR, CONLL2003_DIR, PTB_POS_DIR and TAGGING_VECTORS as in commands.sh).
local table = import '../../../../training_configs/lib/tagging.libsonnet';
local recipes = import '../../../../training_configs/lib/recipes.libsonnet';
table.config("dc_mtl", ["chunk", "ner", "pos"],
  recipes.tagging["cpu_unseen"] + {"loss_weights": {"pos": 0.8}, "seed": 14})
