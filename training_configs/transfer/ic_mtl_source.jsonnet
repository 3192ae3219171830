// Transfer, step 1: IC-MTL on all FDU-MTL domains but the held-out one.
// Run: FDU_MTL_DIR=/work/shared/data/fdu-mtl GRAPH_MTL_TRANSFER='{"held_out": "books"}' \
//   allennlp train training_configs/transfer/ic_mtl_source.jsonnet -s runs/transfer/books/source
// Options: transfer.libsonnet. The whole protocol: scripts/transfer.py.
(import 'transfer.libsonnet').source
