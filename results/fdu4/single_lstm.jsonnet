// Single-task LSTM on one domain (std.extVar('TASK')), real-data check settings.
local check = import 'settings.libsonnet';
(import '../../training_configs/lib/fdu_mtl.libsonnet').single_task('lstm', check.settings)
