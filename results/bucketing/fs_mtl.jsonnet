// Issue 11's accuracy check of length bucketing: FS-MTL at the paper's sizes (embeddings and
// hidden 200, batch 8, full-length reviews) on four FDU-MTL domains, the configs' default recipe
// (Adam, sparse embedding gradients), 4 epochs. BUCKETING=true|false switches the training
// loader's bucketing; everything else is identical. Run by results/bucketing/run.sh.
local fdu = import '../../training_configs/lib/fdu_mtl.libsonnet';

fdu.config('fs_mtl', ['books', 'dvd', 'electronics', 'kitchen_housewares'], {
  num_epochs: 4,
  patience: 10,
}) + {
  data_loader+: { bucketing: std.extVar('BUCKETING') == 'true' },
}
