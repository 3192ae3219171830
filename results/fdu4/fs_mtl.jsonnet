// fs_mtl on the four domains of settings.libsonnet, real-data check settings.
local check = import 'settings.libsonnet';
(import '../../training_configs/lib/fdu_mtl.libsonnet').config('fs_mtl', check.tasks, check.settings)
