#!/usr/bin/env bash
# Written by: python scripts/reproduce.py table4 --recipe cpu_unseen --seeds 13 14 --jobs 2 --models lstm,mt_cnn,dc_mtl,fs_mtl,ic_mtl,bilstm,sp_mtl --no-train
# The exact command of every run (the runner adds --recover when resuming a run).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CONLL2000_DIR=/work/shared/data/conll2000 CONLL2003_DIR=/work/shared/data/conll2003 PTB_POS_DIR=/work/shared/data/ptb-pos
export TAGGING_VECTORS=vectors/tagging.lower.w2v.200d.txt
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# vectors: CONLL2000_DIR=/work/shared/data/conll2000 CONLL2003_DIR=/work/shared/data/conll2003 PTB_POS_DIR=/work/shared/data/ptb-pos python scripts/train_vectors.py --config training_configs/tagging/fs_mtl.jsonnet --unlabelled '/work/shared/data/fdu-mtl/*.task.unlabel' --lowercase --lowercase-training --output vectors/tagging.lower.w2v.200d.txt
allennlp train results/table4/cpu_unseen/configs/dc_mtl-s13.jsonnet -s output/table4/cpu_unseen/dc_mtl-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/dc_mtl-s14.jsonnet -s output/table4/cpu_unseen/dc_mtl-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/ic_mtl-s13.jsonnet -s output/table4/cpu_unseen/ic_mtl-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/ic_mtl-s14.jsonnet -s output/table4/cpu_unseen/ic_mtl-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/sp_mtl-s13.jsonnet -s output/table4/cpu_unseen/sp_mtl-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/sp_mtl-s14.jsonnet -s output/table4/cpu_unseen/sp_mtl-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/fs_mtl-s13.jsonnet -s output/table4/cpu_unseen/fs_mtl-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/fs_mtl-s14.jsonnet -s output/table4/cpu_unseen/fs_mtl-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/mt_cnn-s13.jsonnet -s output/table4/cpu_unseen/mt_cnn-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/mt_cnn-s14.jsonnet -s output/table4/cpu_unseen/mt_cnn-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/bilstm-chunk-s13.jsonnet -s output/table4/cpu_unseen/bilstm-chunk-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/bilstm-ner-s13.jsonnet -s output/table4/cpu_unseen/bilstm-ner-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/bilstm-pos-s13.jsonnet -s output/table4/cpu_unseen/bilstm-pos-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/bilstm-chunk-s14.jsonnet -s output/table4/cpu_unseen/bilstm-chunk-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/bilstm-ner-s14.jsonnet -s output/table4/cpu_unseen/bilstm-ner-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/bilstm-pos-s14.jsonnet -s output/table4/cpu_unseen/bilstm-pos-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/lstm-chunk-s13.jsonnet -s output/table4/cpu_unseen/lstm-chunk-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/lstm-ner-s13.jsonnet -s output/table4/cpu_unseen/lstm-ner-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/lstm-pos-s13.jsonnet -s output/table4/cpu_unseen/lstm-pos-s13 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/lstm-chunk-s14.jsonnet -s output/table4/cpu_unseen/lstm-chunk-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/lstm-ner-s14.jsonnet -s output/table4/cpu_unseen/lstm-ner-s14 --include-package graph_mtl --file-friendly-logging
allennlp train results/table4/cpu_unseen/configs/lstm-pos-s14.jsonnet -s output/table4/cpu_unseen/lstm-pos-s14 --include-package graph_mtl --file-friendly-logging
