#!/usr/bin/env python3
"""Float32 GEMMs of the CPU presets: libtorch's default mm (the BLAS the torch wheel links, MKL) against oneDNN.

Why it exists: `cpu_matmul = "onednn"` (Sources/CTorch/onednn.cpp) routes Mnemo's linear layers through oneDNN's matmul
because on some CPUs (AMD EPYC here) MKL's sgemm runs far below the chip's AVX-512 peak. This script shows the gap on
the machine it runs on, with PyTorch alone: for every linear layer of shakespeare-char-cpu (768 rows) and of
minimind-cpu (2048 rows), forward (x Wᵀ) and the two backward products (g W, gᵀ x), it times torch's mm and
oneDNN's matmul (torch.ops.mkldnn._linear_pointwise, the op Inductor's CPU freezing path uses) on the same tensors,
alternating, and prints GFLOP/s and the ratio, then the geometric mean of the ratios.

    "$(scripts/setup_python_env.sh --print-python)" bench/bench_cpu_gemm.py [--repeats 200] [--rounds 5] [--threads N]

Output lines:  <preset> <product> MxKxN  mkl=<GFLOP/s> onednn=<GFLOP/s> ratio=<onednn/mkl>   and   geomean_ratio=<r>
"""
import argparse
import math
import statistics
import time

import torch


def products(rows, width, hidden, vocab, qkv):
    """(name, M, K, N) of forward and backward products of one block and the head: (M, K) @ (K, N)."""
    layers = [("qkv", width, qkv), ("attn_out", width, width), ("ffn_in", width, hidden), ("ffn_out", hidden, width),
              ("head", width, vocab)]
    out = []
    for name, fan_in, fan_out in layers:
        out += [(f"{name}.fwd", rows, fan_in, fan_out), (f"{name}.grad_x", rows, fan_out, fan_in),
                (f"{name}.grad_w", fan_out, rows, fan_in)]
    return out


PRESETS = {
    # shakespeare-char-cpu: batch 12 × 64 positions, 128 wide, GELU MLP 4×, vocabulary 65, fused qkv
    "shakespeare-char-cpu": products(rows=768, width=128, hidden=512, vocab=65, qkv=384),
    # minimind-cpu: batch 16 × 128, 128 wide, SwiGLU hidden 384 (gate and up: 2 × 384), vocab 6400, GQA 4/2 heads
    "minimind-cpu": products(rows=2048, width=128, hidden=384, vocab=6400, qkv=128 + 2 * 64),
}


def seconds(fn, repeats):
    for _ in range(5):
        fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, capability {torch.backends.cpu.get_cpu_capability()}")
    ratios = []
    for preset, shapes in PRESETS.items():
        for name, m, k, n in shapes:
            a, b = torch.randn(m, k), torch.randn(k, n)
            weight = b.t().contiguous()                       # oneDNN's linear takes W (N, K): a @ Wᵀ = a @ b
            mkl, onednn = [], []
            for _ in range(args.rounds):
                mkl.append(seconds(lambda: torch.mm(a, b), args.repeats))
                onednn.append(seconds(lambda: torch.ops.mkldnn._linear_pointwise(a, weight, None, "none", [], ""),
                                      args.repeats))
            diff = (torch.mm(a, b) - torch.ops.mkldnn._linear_pointwise(a, weight, None, "none", [], "")).abs().max()
            flops = 2 * m * k * n
            t_mkl, t_onednn = statistics.median(mkl), statistics.median(onednn)
            ratios.append(t_mkl / t_onednn)
            print(f"{preset} {name} {m}x{k}x{n}  mkl={flops / t_mkl / 1e9:.1f} onednn={flops / t_onednn / 1e9:.1f} "
                  f"ratio={t_mkl / t_onednn:.2f}  max|diff|={diff.item():.1e}")
    print(f"geomean_ratio={math.exp(sum(map(math.log, ratios)) / len(ratios)):.3f}")


if __name__ == "__main__":
    main()
