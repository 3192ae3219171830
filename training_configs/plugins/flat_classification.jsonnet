// FS-MTL on the 16 FDU-MTL tasks with the `flat` topology plugin (plugins/flat): every task
// reads one shared LSTM node, r_t = h_t^(s), no task-to-task edges or learned weights.
// Needs FDU_MTL_DIR (see plugins.libsonnet).
local plugins = import 'plugins.libsonnet';

plugins.classification({ type: 'flat' })
