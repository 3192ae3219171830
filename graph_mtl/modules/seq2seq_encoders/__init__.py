from graph_mtl.modules.seq2seq_encoders.message_passing_encoder import (  # noqa: F401
    DcMtlEncoder,
    IcMtlEncoder,
    MessagePassingEncoder,
)
