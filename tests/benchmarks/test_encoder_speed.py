"""benchmarks/encoder_speed.py runs (tiny grid) with AllenNLP importable and, as on a torch-only
GPU image, with AllenNLP made unimportable."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--k", "2", "3", "--t", "4", "--batch", "2", "--hidden", "8", "--repeats", "1", "--generic"]

BLOCK_ALLENNLP = """
import sys, runpy
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "allennlp" or name.startswith("allennlp."):
            raise ImportError("allennlp blocked for this test")
sys.meta_path.insert(0, Block())
sys.argv = ["encoder_speed.py"] + sys.argv[1:]
runpy.run_path("benchmarks/encoder_speed.py", run_name="__main__")
assert not any(getattr(m, "__file__", None) and "site-packages/allennlp" in m.__file__
               for m in list(sys.modules.values()))
"""


def _run(args, tmp_path, block=False):
    command = [sys.executable, "-c", BLOCK_ALLENNLP] if block else [sys.executable, "benchmarks/encoder_speed.py"]
    env = dict(os.environ, PYTHONPATH=ROOT)
    result = subprocess.run(command + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_tiny_grid_writes_results(tmp_path):
    name = "pytest-tiny"
    out = _run(TINY + ["--name", name], tmp_path)
    try:
        with open(os.path.join(ROOT, "benchmarks", "results", name + ".json")) as handle:
            report = json.load(handle)
        assert [(c["k"], c["t"], c["batch"]) for c in report["cells"]] == [(2, 4, 2), (3, 4, 2)]
        for cell in report["cells"]:
            assert set(cell["models"]) == {"lstm", "fs_mtl", "sp_mtl", "dc_mtl", "ic_mtl",
                                           "dc_mtl/generic", "ic_mtl/generic"}
            assert "ratio_to_k_lstm" in cell["models"]["dc_mtl"]
        assert report["machine"]["torch_threads"] == 1
        assert "DC-MTL / (K x nn.LSTM)" in out
    finally:
        for ext in (".json", ".md"):
            path = os.path.join(ROOT, "benchmarks", "results", name + ext)
            if os.path.exists(path):
                os.remove(path)


def test_runs_without_allennlp(tmp_path):
    out = _run(TINY + ["--no-write"], tmp_path, block=True)
    assert "standalone" in out
    assert "K=3" in out


def test_cuda_unavailable_is_a_clean_skip(tmp_path):
    import torch

    if torch.cuda.is_available():
        return
    out = _run(["--device", "cuda", "--k", "2", "--t", "4", "--batch", "2"], tmp_path)
    assert "CUDA is not available" in out
