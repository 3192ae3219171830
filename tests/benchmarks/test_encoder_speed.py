"""benchmarks/encoder_speed.py runs (tiny grid) with AllenNLP importable and, as on a torch-only
GPU image, with AllenNLP made unimportable."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--k", "2", "3", "--t", "4", "--batch", "2", "--hidden", "8", "--repeats", "1", "--generic",
        "--floor", "--plugin"]

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
    out = _run(TINY + ["--name", name, "--results-dir", str(tmp_path)], tmp_path)
    with open(os.path.join(tmp_path, name + ".json")) as handle:
        report = json.load(handle)
    assert os.path.exists(os.path.join(tmp_path, name + ".md"))
    assert not os.path.exists(os.path.join(ROOT, "benchmarks", "results", name + ".json"))
    assert [(c["k"], c["t"], c["batch"]) for c in report["cells"]] == [(2, 4, 2), (3, 4, 2)]
    for cell in report["cells"]:
        assert set(cell["models"]) == {"lstm", "fs_mtl", "sp_mtl", "dc_mtl", "ic_mtl",
                                       "dc_mtl/generic", "ic_mtl/generic",
                                       "dc_mtl/no_attention", "ic_mtl/no_attention", "dc_mtl/gated_max"}
        assert "ratio_to_k_lstm" in cell["models"]["dc_mtl"]
    assert report["machine"]["torch_threads"] == 1
    assert "DC-MTL / (K x nn.LSTM)" in out
    # growth tables: relative to the first K / T, from the cells' times
    with open(os.path.join(tmp_path, name + ".md")) as handle:
        text = handle.read()
    seconds = [c["models"]["dc_mtl"]["seconds"] for c in report["cells"]]
    assert f"| 4 | 2 | dc_mtl | 1.00 | {seconds[1] / seconds[0]:.2f} |" in text
    assert "| 2 | 2 | dc_mtl | 1.00 |" in text and "| 3 | 2 | dc_mtl | 1.00 |" in text
    # the plugin section: geometric mean and range of the per-cell ratios, from the cells' times
    for plugin, builtin in (("dc_mtl/gated_max", "dc_mtl"), ("dc_mtl/gated_max", "dc_mtl/no_attention"),
                            ("dc_mtl/generic", "dc_mtl"), ("ic_mtl/generic", "ic_mtl")):
        ratios = [c["models"][plugin]["seconds"] / c["models"][builtin]["seconds"] for c in report["cells"]]
        mean = (ratios[0] * ratios[1]) ** 0.5
        above = sum(r > 1.2 for r in ratios)
        assert (f"| {plugin} / {builtin} | {mean:.3f} | {min(ratios):.3f} | {max(ratios):.3f} | "
                f"{above} of 2 |") in text


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


def test_floor_encoders_are_the_models_without_attention():
    """`--floor`'s encoders: same parameters as DC-/IC-MTL minus the attention's, mean aggregators,
    and for IC-MTL the fusion LSTM reads r_t = h_t^(s) (the mean over the one shared source):
    checked against the encoder with that aggregator computed by the step-by-step reference."""
    import torch

    sys.path.insert(0, ROOT)
    from benchmarks.encoders import Encoders
    from graph_mtl.modules.aggregators import MeanAggregator
    from tests.modules.reference import reference_forward

    encoders = Encoders()
    tasks = ["a", "b", "c"]
    for topology in ("direct", "indirect"):
        torch.manual_seed(0)
        floor = encoders.message_passing_without_attention(topology, tasks, 4, 3).double()
        full = encoders.message_passing(topology, tasks, 4, 3).double()
        layer = floor.forward_layers[0]
        assert all(type(aggregator) is MeanAggregator for aggregator in layer.aggregators.values())
        names = lambda m: {n for n, _ in m.named_parameters() if "aggregators" not in n}  # noqa: E731
        assert names(floor) == names(full)
        assert any("aggregators" in n for n, _ in full.named_parameters())
        assert not any("aggregators" in n for n, _ in floor.named_parameters())
        inputs = torch.randn(2, 5, 4, dtype=torch.float64)
        mask = torch.ones(2, 5, dtype=torch.bool)
        fast = floor(inputs, mask, ["a", "b"])
        slow, _ = reference_forward(floor, inputs, mask, ["a", "b"])
        assert torch.allclose(fast, slow, atol=1e-10)


def _guide_plugin(tmp_path):
    """docs/plugins.md's aggregator plugin module, written to `tmp_path` and imported as a user's."""
    import importlib.util

    from tests.plugins.test_training import doc_aggregator_example

    (tmp_path / "guide_gated_max.py").write_text(doc_aggregator_example())
    spec = importlib.util.spec_from_file_location("guide_gated_max", tmp_path / "guide_gated_max.py")
    guide = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guide)
    return guide


def test_the_plugin_encoder_runs_the_aggregator_of_the_guide(tmp_path):
    """`--plugin`'s aggregator is docs/plugins.md's example: the guide's module, loaded as a user
    would, and the benchmark's give the same encoder output and gradients from the same weights,
    and both take the autograd path (no `fast_steps`)."""
    import torch

    sys.path.insert(0, ROOT)
    from benchmarks.encoders import Encoders
    from graph_mtl.modules.seq2seq_encoders import MessagePassingEncoder

    guide = _guide_plugin(tmp_path)
    tasks = ["a", "b", "c"]
    torch.manual_seed(0)
    benchmark = Encoders().gated_max_plugin(tasks, 4, 3).double()
    documented = MessagePassingEncoder(tasks, 4, 3, topology=guide.GatedMaxTopology()).double()
    assert set(benchmark.state_dict()) == set(documented.state_dict())
    documented.load_state_dict(benchmark.state_dict())
    inputs = torch.randn(3, 5, 4, dtype=torch.float64)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2, [True] * 4 + [False]])
    outputs = []
    for encoder in (benchmark, documented):
        aggregator = encoder.forward_layers[0].aggregators["a"]
        assert aggregator.fast_steps(inputs, inputs.unsqueeze(2), mask) is None
        output = encoder(inputs, mask, ["a", "b", "c"])
        output.pow(2).sum().backward()
        outputs.append((output, [p.grad for p in encoder.parameters()]))
    assert torch.equal(outputs[0][0], outputs[1][0]) and outputs[0][0].abs().sum() > 0
    for first, second in zip(outputs[0][1], outputs[1][1]):
        assert torch.equal(first, second)


def test_a_registered_topology_is_timed_against_the_built_in(tmp_path):
    """`--topology NAME`: any registered topology (here the guide's plugin topology, registered
    in-process as an installed plugin's would be) is timed as `topology/NAME` and compared with
    the built-in DC-MTL; an unregistered name stops the run naming the registered ones."""
    import torch

    sys.path.insert(0, ROOT)
    from benchmarks import encoder_speed
    from graph_mtl.modules.topologies import Topology

    guide = _guide_plugin(tmp_path)
    name = "pytest_guide_gated_max"
    Topology.register(name)(guide.GatedMaxTopology)
    threads = torch.get_num_threads()
    try:
        args = ["--k", "2", "--t", "4", "--batch", "2", "--hidden", "8", "--repeats", "1",
                "--models", "dc_mtl", "--topology", name, "--no-write"]
        report = encoder_speed.run(encoder_speed.parse_args(args))
        cell = report["cells"][0]
        assert set(cell["models"]) == {"dc_mtl", f"topology/{name}"}
        ratio = cell["models"][f"topology/{name}"]["seconds"] / cell["models"]["dc_mtl"]["seconds"]
        assert f"| topology/{name} / dc_mtl | {ratio:.3f} | {ratio:.3f} | {ratio:.3f} |" in \
            encoder_speed.format_report(report)
        with pytest.raises(SystemExit, match=r"unknown topology \['no_such_topology'\].*'direct'"):
            encoder_speed.run(encoder_speed.parse_args(args[:-3] + ["--topology", "no_such_topology", "--no-write"]))
    finally:
        Topology._registry[Topology].pop(name, None)
        torch.set_num_threads(threads)
