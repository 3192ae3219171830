// Hierarchical MTL on the 16 FDU-MTL tasks with the `hierarchical` topology plugin.
// There is no linguistic hierarchy between sentiment domains; this order is an illustration
// that groups the domains by kind of product: the four classic Amazon domains (Blitzer et al.
// 2007: books, dvd, electronics, kitchen_housewares) are at the bottom and receive nothing;
// every other domain attends (alpha) over the ones it is listed with. Edit `order` for your
// own hierarchy (a cycle or an unknown task name is rejected with a clear error).
// Needs FDU_MTL_DIR (see plugins.libsonnet).
local plugins = import 'plugins.libsonnet';

plugins.classification({
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
