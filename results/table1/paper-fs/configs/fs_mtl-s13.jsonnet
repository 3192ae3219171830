// table1, recipe 'paper': FS-MTL on books, electronics, dvd, kitchen_housewares, apparel, camera_photo, health_personal_care, music, toys_games, video, baby, magazines, software, sports_outdoors, imdb, MR, seed 13.
// Written by scripts/reproduce.py; `allennlp train` on this file repeats the run
// (FDU_MTL_DIR and FDU_MTL_VECTORS as in commands.sh).
local table = import '../../../../training_configs/lib/fdu_mtl.libsonnet';
local recipes = import '../../../../training_configs/lib/recipes.libsonnet';
table.config("fs_mtl", ["books", "electronics", "dvd", "kitchen_housewares", "apparel", "camera_photo", "health_personal_care", "music", "toys_games", "video", "baby", "magazines", "software", "sports_outdoors", "imdb", "MR"],
  recipes.fdu_mtl["paper"] + {"num_epochs": 6, "patience": 6, "seed": 13})
