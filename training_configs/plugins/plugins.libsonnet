// The plugin-topology configs are the DC-MTL configs of ../lib (same data, readers, heads,
// paper hyperparameters, trainer) with the message-passing encoder's topology replaced.
//
// `with_topology(config, topology)`: `config` is `fdu_mtl.config('dc_mtl', ...)` or
// `tagging.config('dc_mtl', ...)`; `topology` the encoder's topology object, e.g.
// {type: 'flat'} or {type: 'hierarchical', order: {...}}. Data variables (FDU_MTL_DIR,
// CONLL2000_DIR, CONLL2003_DIR, PTB_POS_DIR) and settings: training_configs/README.md.
{
  with_topology(config, topology):: config + {
    model+: { backbone+: { encoder+: { type: 'message_passing', topology: topology } } },
  },
}
