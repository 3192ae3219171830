from graph_mtl.modules import topologies, aggregators, seq2seq_encoders  # noqa: F401
