"""benchmarks/gemm_rates.py on tiny shapes: both types timed for every shape, the report written."""
import json

from benchmarks import gemm_rates


def test_every_shape_is_timed_in_both_types(tmp_path, monkeypatch):
    monkeypatch.setattr(gemm_rates, "SHAPES", [("tiny step", 2, 3, 4), ("tiny batch", 6, 3, 5)])
    calls = []
    real_rate = gemm_rates.rate
    monkeypatch.setattr(gemm_rates, "rate", lambda m, k, n, dtype, repeats, seconds:
                        calls.append((m, k, n, str(dtype))) or real_rate(m, k, n, dtype, repeats, seconds))
    assert gemm_rates.main(["--repeats", "1", "--seconds", "0.001", "--name", "tiny",
                            "--results-dir", str(tmp_path)]) == 0
    # each shape in each type, the types alternated twice
    assert calls == [(2, 3, 4, "torch.float32"), (2, 3, 4, "torch.bfloat16")] * 2 + \
        [(6, 3, 5, "torch.float32"), (6, 3, 5, "torch.bfloat16")] * 2
    report = json.loads((tmp_path / "tiny.json").read_text())
    assert set(report["rates"]) == {"tiny step", "tiny batch"}
    assert all(value > 0 for rates in report["rates"].values() for value in rates.values())
    assert report["command"] == "python benchmarks/gemm_rates.py --repeats 1 --seconds 0.001 --name tiny " \
        f"--results-dir {tmp_path}"
    text = (tmp_path / "tiny.md").read_text()
    assert "| tiny step |" in text and "| tiny batch |" in text and "bfloat16 / float32" in text


def test_rate_counts_two_flops_per_multiply_add(monkeypatch):
    """A fake clock where every product takes 1 ms: (m, k, n) = (10, 20, 30) is 12,000 FLOP."""
    import torch

    now = [0.0]
    monkeypatch.setattr(gemm_rates.time, "perf_counter", lambda: now[0])
    real_matmul = torch.Tensor.__matmul__

    def slow_matmul(a, b):
        now[0] += 1e-3
        return real_matmul(a, b)

    monkeypatch.setattr(torch.Tensor, "__matmul__", slow_matmul)
    assert abs(gemm_rates.rate(10, 20, 30, torch.float32, repeats=2, seconds=0.005) - 12_000 / 1e-3 / 1e9) < 1e-9
