from graph_mtl.modules import topologies, seq2seq_encoders  # noqa: F401
