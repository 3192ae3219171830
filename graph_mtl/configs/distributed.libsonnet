// Data-parallel training of any graph-mtl config with AllenNLP's own `distributed` setting
// (PyTorch DDP; gloo on CPU, NCCL on GPUs):
//
//   local distributed = import 'graph_mtl/configs/distributed.libsonnet';
//   distributed.cpu_workers((import 'training_configs/fdu_mtl/dc_mtl.jsonnet'), 2)
//   distributed.gpus((import 'training_configs/fdu_mtl/dc_mtl.jsonnet'), [0, 1])
//
// Each worker trains on its own share of every epoch's batches; DDP averages the gradients.
// A multi-task batch holds one task (homogeneous batching), so on a worker the other tasks'
// heads (and, for DC-MTL, some message paths) get no gradient in that step: DDP needs
// `find_unused_parameters: true`, which these functions set. Equivalence with one process on
// the union of the workers' batches: tests/training/test_distributed.py. Several machines:
// docs/distributed.md.
{
  // AllenNLP 2.10's `evaluate_on_test` evaluates on the primary worker alone while the metrics
  // wait for the other workers (a crash in dist_reduce): refused here; evaluate the archive
  // with `allennlp evaluate` after training instead.
  check(config)::
    if std.objectHas(config, 'evaluate_on_test') && config.evaluate_on_test then
      error ('evaluate_on_test does not work with distributed training (AllenNLP 2.10 evaluates on '
             + 'one worker while the metrics wait for all); drop it and run `allennlp evaluate` on '
             + 'model.tar.gz after training')
    else config,

  // `config` on `workers` CPU processes of this machine.
  cpu_workers(config, workers):: $.check(config) + {
    distributed: {
      cuda_devices: [-1 for _ in std.range(1, workers)],
      ddp_accelerator: { type: 'torch', find_unused_parameters: true },
    },
  },

  // `config` on the GPUs `devices` (e.g. [0, 1]); `num_nodes` machines of them (see
  // docs/distributed.md for the addresses and --node-rank).
  gpus(config, devices, num_nodes=1):: $.check(config) + {
    distributed: {
      cuda_devices: devices,
      ddp_accelerator: { type: 'torch', find_unused_parameters: true },
    } + (if num_nodes > 1 then { num_nodes: num_nodes } else {}),
  },
}
