# graph-mtl build glue. Everything a fresh Python 3.11 machine needs is installed by `make install`;
# a second run finds the stamp and takes seconds.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.graph-mtl-install-stamp
REQS := requirements.txt requirements-nodeps.txt setup.py plugins/flat/setup.py plugins/hierarchical/setup.py
DEMO_DIR ?= output/demo

.PHONY: install test demo clean-demo data-counts bench vectors tagging-vectors

install: $(STAMP)

$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	$(PIP) install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	$(PIP) install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . -e plugins/flat -e plugins/hierarchical
	$(PY) -m graph_mtl_startup --install
	$(PY) -c "import graph_mtl" 
	touch $(STAMP)

# pytest-xdist: one worker per core (TEST_WORKERS=0 runs them in this process), each test file
# whole on one worker so that its module fixtures are built once
TEST_WORKERS ?= auto
test: install
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=15 tests

# The full logs go to files (their paths are printed); the terminal gets a one-screen summary.
demo: install clean-demo
	@mkdir -p $(DEMO_DIR)
	@echo "Training DC-MTL on three small domains (fixtures/demo), ~1-2 min; log: $(DEMO_DIR)/train.log"
	@$(VENV)/bin/allennlp train fixtures/configs/demo.jsonnet -s $(DEMO_DIR)/model > $(DEMO_DIR)/train.log 2>&1 \
		|| { tail -n 20 $(DEMO_DIR)/train.log; echo "Training failed; the whole log: $(DEMO_DIR)/train.log"; exit 1; }
	@echo "Predicting fixtures/predict/demo_input.jsonl; log: $(DEMO_DIR)/predict.log"
	@$(VENV)/bin/allennlp predict $(DEMO_DIR)/model/model.tar.gz fixtures/predict/demo_input.jsonl \
		--output-file $(DEMO_DIR)/predictions.jsonl --silent > $(DEMO_DIR)/predict.log 2>&1 \
		|| { tail -n 20 $(DEMO_DIR)/predict.log; echo "Prediction failed; the whole log: $(DEMO_DIR)/predict.log"; exit 1; }
	@echo
	@echo "Model archive:   $(DEMO_DIR)/model/model.tar.gz"
	@echo "Dev metrics:     $(DEMO_DIR)/model/metrics.json"
	@echo "Predictions:     $(DEMO_DIR)/predictions.jsonl"
	@echo "TensorBoard:     tensorboard --logdir $(DEMO_DIR)/model/log   (pip install tensorboard)"
	@$(PY) scripts/show_predictions.py $(DEMO_DIR)/model/metrics.json $(DEMO_DIR)/predictions.jsonl

clean-demo:
	@rm -rf $(DEMO_DIR)

data-counts: install
	$(PY) scripts/count_instances.py

bench: install
	$(PY) benchmarks/encoder_speed.py

# Word vectors for the FDU-MTL configs (issue 12): word2vec on the training text of the 16
# domains (dev lines excluded by the config's reader) + the unlabelled reviews; ~3 min, 1 core.
FDU_MTL_DIR ?= /work/shared/data/fdu-mtl
FDU_MTL_VECTORS_FILE ?= vectors/fdu_mtl.w2v.200d.txt
vectors: install
	FDU_MTL_DIR=$(FDU_MTL_DIR) OMP_NUM_THREADS=1 $(PY) scripts/train_vectors.py \
		--config training_configs/fdu_mtl/fs_mtl.jsonnet \
		--unlabelled '$(FDU_MTL_DIR)/*.task.unlabel' --lowercase --output $(FDU_MTL_VECTORS_FILE)

# Word vectors for the tagging configs (issue 13): word2vec on the chunking, NER and POS training
# sets (CoNLL-2000 dev sentences excluded by its reader) + the FDU-MTL unlabelled reviews, all
# lowercased (the `cpu` recipe looks words up lowercased: results/table4/ner-case/); ~4 min.
DATA_DIR ?= /work/shared/data
TAGGING_VECTORS_FILE ?= vectors/tagging.lower.w2v.200d.txt
tagging-vectors: install
	CONLL2000_DIR=$(DATA_DIR)/conll2000 CONLL2003_DIR=$(DATA_DIR)/conll2003 PTB_POS_DIR=$(DATA_DIR)/ptb-pos \
		OMP_NUM_THREADS=1 $(PY) scripts/train_vectors.py --config training_configs/tagging/fs_mtl.jsonnet \
		--unlabelled '$(DATA_DIR)/fdu-mtl/*.task.unlabel' --lowercase --lowercase-training \
		--output $(TAGGING_VECTORS_FILE)
