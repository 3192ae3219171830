"""
Denormal floats flushed to zero in graph_mtl processes (graph_mtl.common.denormals).

The mode belongs to each CPU thread, so every check runs in a fresh interpreter (this test
process's torch threads were started long ago) with two torch threads.
"""
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import torch

ROOT = Path(__file__).resolve().parents[2]

# Multiplies 2^20 copies of the smallest positive denormal (bit pattern 1, made without any
# floating-point operation) by 2 on two threads: 0 where denormals are flushed, bit pattern 2
# where they are computed. Prints the distinct bit patterns of the products.
PRODUCTS = """
import torch
torch.set_num_threads(2)
denormals = torch.ones(1 << 20, dtype=torch.int32).view(torch.float32)
print(json.dumps(sorted(set((denormals * 2.0).view(torch.int32).tolist()))))
"""


def run_python(code: str, environment: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(environment or {})}
    return subprocess.run([sys.executable, "-c", "import json\n" + code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_importing_graph_mtl_flushes_denormals_on_every_thread():
    result = run_python("import graph_mtl\n" + PRODUCTS)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [0]


def test_the_environment_variable_leaves_denormals_computed():
    result = run_python("import graph_mtl\n" + PRODUCTS, {"GRAPH_MTL_FLUSH_DENORMALS": "0"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [2]


def test_threads_started_before_the_import_are_reported():
    code = (
        "import logging, torch\n"
        "logging.basicConfig()\n"
        "torch.set_num_threads(2)\n"
        "(torch.randn(1 << 21) * 2.0).sum()  # starts torch's thread pool\n"
        "import graph_mtl\n"
        "from graph_mtl.common import denormals\n"
        "print(json.dumps(denormals.flush_denormals()))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) is False
    assert "torch's CPU threads were started before graph_mtl was imported" in result.stderr


LSTM_GRADIENTS = """
import torch, graph_mtl
torch.manual_seed(0)
lstm = torch.nn.LSTM(20, 20, batch_first=True)
inputs = torch.randn(2, 400, 20, requires_grad=True)
output, _ = lstm(inputs)
output[:, -1].sum().backward()  # only the last state read: gradients shrink towards the start
magnitudes = inputs.grad.abs()
print(json.dumps({"weight_ih": lstm.weight_ih_l0.grad.tolist(), "weight_hh": lstm.weight_hh_l0.grad.tolist(),
                  "denormal_input_gradients": int(((magnitudes > 0) & (magnitudes < 1.1754944e-38)).sum())}))
"""


def test_flushing_leaves_the_gradients_of_a_long_sequence_as_they_were():
    flushed, computed = (json.loads(run_python(LSTM_GRADIENTS, {"GRAPH_MTL_FLUSH_DENORMALS": value})
                                    .stdout.strip().splitlines()[-1]) for value in ("1", "0"))
    for name in ("weight_ih", "weight_hh"):
        torch.testing.assert_close(torch.tensor(flushed[name]), torch.tensor(computed[name]),
                                   rtol=1e-5, atol=1e-12)
    # the case at hand: the early steps' gradients are denormals unless flushed
    assert computed["denormal_input_gradients"] > 0
    assert flushed["denormal_input_gradients"] == 0
