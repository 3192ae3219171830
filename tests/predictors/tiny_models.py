"""
Tiny graph-mtl models trained once per test session on the fixtures in fixtures/predict/
(two classification tasks, two tagging tasks; DC-MTL and IC-MTL, or any topology), shared by
the predictor, command and transfer tests. Each trains in a few seconds on a CPU.
"""
import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, Optional

import torch
from allennlp.commands.train import train_model_from_file

REPO_ROOT = Path(__file__).resolve().parents[2]
PREDICT_FIXTURES = REPO_ROOT / "fixtures" / "predict"
TASKS = ["books", "dvd", "chunk", "pos"]


def tiny_model(tmp_path_factory, encoder: str, topology: Optional[Dict[str, Any]] = None,
               name: Optional[str] = None) -> Path:
    """
    The archive of the tiny `encoder` ("dc_mtl" or "ic_mtl") model, trained on first use. With
    `topology` (a topology config, e.g. `{"type": "flat"}`), the same model with the encoder
    `{"type": "message_passing", "topology": topology}` instead, kept under `name`.
    """
    root = tmp_path_factory.getbasetemp() / "graph_mtl_tiny_models" / (name or encoder)
    archive = root / "model.tar.gz"
    if not archive.exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        overrides = ""
        if topology is not None:
            encoder = "dc_mtl"
            overrides = json.dumps({  # dotted keys: allennlp replaces a nested dict whole
                "model.backbone.encoder.type": "message_passing",
                "model.backbone.encoder.topology": topology,
            })
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            train_model_from_file(
                str(PREDICT_FIXTURES / f"{encoder}.jsonnet"),
                str(root),
                overrides=overrides,
                file_friendly_logging=True,
            )
        finally:
            torch.set_num_threads(threads)
        # train_model_from_file leaves a file handler on the root logger
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "baseFilename", "").startswith(str(root)):
                logging.getLogger().removeHandler(handler)
                handler.close()
    return archive


def subprocess_env() -> Dict[str, str]:
    """Environment for `allennlp` subprocesses: one thread per process (see one_torch_thread)."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
