#!/usr/bin/env bash
# Written by: python scripts/reproduce.py table1 --recipe paper --seeds 13 --models fs_mtl --jobs 1 --threads 1 --settings '{"num_epochs": 6, "patience": 6}' --results-dir results/table1/paper-fs --output-dir output/table1/paper-fs
# The exact command of every run (the runner adds --recover when resuming a run).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export FDU_MTL_DIR=/work/shared/data/fdu-mtl
export FDU_MTL_VECTORS=vectors/fdu_mtl.w2v.200d.txt
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# vectors: FDU_MTL_DIR=/work/shared/data/fdu-mtl python scripts/train_vectors.py --config training_configs/fdu_mtl/fs_mtl.jsonnet --unlabelled '/work/shared/data/fdu-mtl/*.task.unlabel' --lowercase --output vectors/fdu_mtl.w2v.200d.txt
allennlp train results/table1/paper-fs/configs/fs_mtl-s13.jsonnet -s output/table1/paper-fs/fs_mtl-s13 --include-package graph_mtl --file-friendly-logging
