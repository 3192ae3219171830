#!/usr/bin/env python
"""
DC-MTL's source LSTMs: K separate `nn.LSTM` calls (what `MessagePassingEncoder` does: one
oneDNN / cuDNN kernel per source node) against the same K LSTMs as one grouped computation (one
matmul for all input projections, then one `baddbmm` per step over the K weight matrices, autograd
through the loop), forward + backward, same weights and inputs. The two outputs are checked to
agree before anything is timed.

On CPU the fused library kernel wins by a wide margin (the FLOPs are the same; the grouped loop
pays per-step dispatch and unfused elementwise work); on a GPU, where K separate launches of small
kernels are the cost, the answer may differ: run it there with `--device cuda`.

    python benchmarks/grouped_lstm.py --k 15 --t 128 --batch 8
    python benchmarks/grouped_lstm.py --k 15 --t 128 --batch 64 --device cuda
"""
import argparse
import os
import statistics
import sys
import time
from typing import Callable, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from benchmarks.timing import time_step  # noqa: E402


def build(k: int, hidden: int, device: torch.device, dtype: torch.dtype = torch.float32):
    """K `nn.LSTM`s and the same weights stacked for `grouped` (W_ih^T, W_hh^T, b_ih + b_hh)."""
    lstms = [torch.nn.LSTM(hidden, hidden, batch_first=True).to(device, dtype) for _ in range(k)]
    weight_ih = torch.nn.Parameter(torch.stack([lstm.weight_ih_l0.detach().t() for lstm in lstms]))
    weight_hh = torch.nn.Parameter(torch.stack([lstm.weight_hh_l0.detach().t() for lstm in lstms]))
    bias = torch.nn.Parameter(torch.stack([(lstm.bias_ih_l0 + lstm.bias_hh_l0).detach() for lstm in lstms]))
    return lstms, (weight_ih, weight_hh, bias)


def separate(lstms: List[torch.nn.LSTM], inputs: torch.Tensor) -> torch.Tensor:
    return torch.stack([lstm(inputs)[0] for lstm in lstms])  # (K, B, T, H)


def grouped(weights, inputs: torch.Tensor) -> torch.Tensor:
    weight_ih, weight_hh, bias = weights
    k = weight_ih.size(0)
    batch, seq_len, dim = inputs.shape
    hidden = weight_hh.size(1)
    pre = torch.matmul(inputs.reshape(1, batch * seq_len, dim), weight_ih)
    pre = pre.view(k, batch, seq_len, 4 * hidden) + bias[:, None, None, :]
    h = inputs.new_zeros(k, batch, hidden)
    c = inputs.new_zeros(k, batch, hidden)
    outputs = []
    for t in range(seq_len):
        gates = torch.baddbmm(pre[:, :, t], h, weight_hh)
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=2)


def timed(step: Callable[[], None], repeats: int, device: torch.device, clock) -> List[float]:
    step()  # warm-up
    return [time_step(step, device, clock) for _ in range(repeats)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--k", type=int, default=15, help="LSTMs (DC-MTL: K - 1 source tasks)")
    parser.add_argument("--t", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"--device {args.device}: CUDA is not available on this machine; nothing measured.")
        return 0
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    lstms, weights = build(args.k, args.hidden, device)
    inputs = torch.randn(args.batch, args.t, args.hidden, device=device, requires_grad=True)
    loss_weights = torch.randn(args.k, args.batch, args.t, args.hidden, device=device)
    with torch.no_grad():
        difference = (separate(lstms, inputs) - grouped(weights, inputs)).abs().max().item()
    if difference > 1e-4:
        print(f"the grouped LSTMs disagree with nn.LSTM (max difference {difference:.2e})")
        return 1
    clock = time.process_time if device.type == "cpu" and args.threads == 1 else time.perf_counter

    def step_separate():
        (separate(lstms, inputs) * loss_weights).sum().backward()

    def step_grouped():
        (grouped(weights, inputs) * loss_weights).sum().backward()

    a = timed(step_separate, args.repeats, device, clock)
    b = timed(step_grouped, args.repeats, device, clock)
    print(f"K={args.k} T={args.t} B={args.batch} H={args.hidden} {device} "
          f"({'process' if clock is time.process_time else 'wall'} time, min of {args.repeats}; "
          f"outputs agree to {difference:.1e})")
    print(f"  {args.k} x nn.LSTM:      {min(a) * 1e3:9.1f} ms  (median {statistics.median(a) * 1e3:.1f})")
    print(f"  grouped (bmm) loop: {min(b) * 1e3:9.1f} ms  (median {statistics.median(b) * 1e3:.1f})")
    print(f"  grouped / separate: {min(b) / min(a):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
