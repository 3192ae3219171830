// Transfer, step 2: a new IC-MTL network on the held-out domain, its shared layer loaded from
// the step-1 archive (initializer `pretrained`) and frozen (trainer `no_grad`).
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl \
//   GRAPH_MTL_TRANSFER='{"held_out": "books", "source_archive": "runs/transfer/books/source/model.tar.gz"}' \
//   allennlp train training_configs/transfer/ic_mtl_target.jsonnet -s runs/transfer/books/target
// Options: transfer.libsonnet. The whole protocol: scripts/transfer.py.
(import 'transfer.libsonnet').target
