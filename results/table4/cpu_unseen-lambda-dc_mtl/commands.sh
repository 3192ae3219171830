#!/usr/bin/env bash
# Written by: python scripts/reproduce.py table4 --recipe cpu_unseen --seeds 13 14 --lambda-seeds 13 --lambda-grid 1 0.8 0.5 --lambda-chosen-only --models dc_mtl --jobs 1 --threads 1 --results-dir results/table4/cpu_unseen-lambda-dc_mtl
# The exact command of every run (the runner adds --recover when resuming a run).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CONLL2000_DIR=/work/shared/data/conll2000 CONLL2003_DIR=/work/shared/data/conll2003 PTB_POS_DIR=/work/shared/data/ptb-pos
export TAGGING_VECTORS=vectors/tagging.lower.w2v.200d.txt
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# vectors: CONLL2000_DIR=/work/shared/data/conll2000 CONLL2003_DIR=/work/shared/data/conll2003 PTB_POS_DIR=/work/shared/data/ptb-pos python scripts/train_vectors.py --config training_configs/tagging/fs_mtl.jsonnet --unlabelled '/work/shared/data/fdu-mtl/*.task.unlabel' --lowercase --lowercase-training --output vectors/tagging.lower.w2v.200d.txt
allennlp train results/table4/cpu_unseen-lambda-dc_mtl/configs/dc_mtl-s13.jsonnet -s output/table4/cpu_unseen/dc_mtl-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen-lambda-dc_mtl/configs/dc_mtl-lambda-chunk0.8-s13.jsonnet -s output/table4/cpu_unseen/dc_mtl-lambda-chunk0.8-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen-lambda-dc_mtl/configs/dc_mtl-lambda-chunk0.5-s13.jsonnet -s output/table4/cpu_unseen/dc_mtl-lambda-chunk0.5-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen-lambda-dc_mtl/configs/dc_mtl-lambda-ner0.8-s13.jsonnet -s output/table4/cpu_unseen/dc_mtl-lambda-ner0.8-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen-lambda-dc_mtl/configs/dc_mtl-lambda-ner0.5-s13.jsonnet -s output/table4/cpu_unseen/dc_mtl-lambda-ner0.5-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen-lambda-dc_mtl/configs/dc_mtl-lambda-pos0.8-s13.jsonnet -s output/table4/cpu_unseen/dc_mtl-lambda-pos0.8-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen-lambda-dc_mtl/configs/dc_mtl-lambda-pos0.5-s13.jsonnet -s output/table4/cpu_unseen/dc_mtl-lambda-pos0.5-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen-lambda-dc_mtl/configs/dc_mtl-lambda-pos0.8-s14.jsonnet -s output/table4/cpu_unseen/dc_mtl-lambda-pos0.8-s14 --include-package graph_mtl --file-friendly-logging
