// Hierarchical MTL on the 16 FDU-MTL domains (Table 1 setting) with the `hierarchical`
// topology plugin. Sentiment domains have no linguistic hierarchy; this order is an
// illustration that groups them by kind of product: the four classic Amazon domains
// (Blitzer et al. 2007: books, dvd, electronics, kitchen_housewares) are at the bottom and
// receive nothing; every other domain attends (alpha) over the domains listed for it (and,
// transitively, theirs). Edit `order` for your own hierarchy: a cycle or an unknown task name
// is rejected with a clear error.
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   allennlp train training_configs/plugins/hierarchical_classification.jsonnet -s output/plugins/hierarchical_classification
local fdu_mtl = import '../lib/fdu_mtl.libsonnet';
local plugins = import 'plugins.libsonnet';

plugins.with_topology(fdu_mtl.config('dc_mtl'), {
  type: 'hierarchical',
  order: {
    // films
    imdb: ['dvd'],
    MR: ['dvd'],
    video: ['dvd'],
    // other media
    magazines: ['books'],
    music: ['dvd', 'books'],
    // devices
    camera_photo: ['electronics'],
    software: ['electronics'],
    // home and personal goods
    apparel: ['kitchen_housewares'],
    baby: ['kitchen_housewares'],
    health_personal_care: ['kitchen_housewares'],
    sports_outdoors: ['kitchen_housewares'],
    toys_games: ['kitchen_housewares', 'baby'],
  },
})
