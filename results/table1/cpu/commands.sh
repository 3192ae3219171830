#!/usr/bin/env bash
# Written by: python scripts/reproduce.py table1 --recipe cpu --jobs 1 --models fs_mtl,sp_mtl,mt_cnn --seeds 14
# The exact command of every run (the runner adds --recover when resuming a run).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export FDU_MTL_DIR=/work/shared/data/fdu-mtl
export FDU_MTL_VECTORS=vectors/fdu_mtl.w2v.200d.txt
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# vectors: FDU_MTL_DIR=/work/shared/data/fdu-mtl python scripts/train_vectors.py --config training_configs/fdu_mtl/fs_mtl.jsonnet --unlabelled '/work/shared/data/fdu-mtl/*.task.unlabel' --lowercase --output vectors/fdu_mtl.w2v.200d.txt
allennlp train results/table1/cpu/configs/sp_mtl-s14.jsonnet -s output/table1/cpu/sp_mtl-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table1/cpu/configs/fs_mtl-s14.jsonnet -s output/table1/cpu/fs_mtl-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table1/cpu/configs/mt_cnn-s14.jsonnet -s output/table1/cpu/mt_cnn-s14 --include-package graph_mtl --file-friendly-logging
