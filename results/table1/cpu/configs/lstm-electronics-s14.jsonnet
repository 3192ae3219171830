// table1, recipe 'cpu': LSTM on electronics, seed 14.
// Written by scripts/reproduce.py; `allennlp train` on this file repeats the run
// (FDU_MTL_DIR and FDU_MTL_VECTORS as in commands.sh).
local table = import '../../../../training_configs/lib/fdu_mtl.libsonnet';
local recipes = import '../../../../training_configs/lib/recipes.libsonnet';
table.config("lstm", ["electronics"],
  recipes.fdu_mtl["cpu"] + {"seed": 14})
