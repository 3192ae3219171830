from graph_mtl.modules.seq2seq_encoders.multitask_encoder import MultiTaskEncoder  # noqa: F401
from graph_mtl.modules.seq2seq_encoders.message_passing_encoder import (  # noqa: F401
    DcMtlEncoder,
    IcMtlEncoder,
    MessagePassingEncoder,
)
from graph_mtl.modules.seq2seq_encoders.shared_private import SharedPrivateEncoder  # noqa: F401
from graph_mtl.modules.seq2seq_encoders.mt_cnn import MultiTaskCnnEncoder  # noqa: F401
from graph_mtl.modules.seq2seq_encoders.padded_lstm import PaddedLstmSeq2SeqEncoder  # noqa: F401
