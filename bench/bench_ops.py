"""The Python side of `make bench`: the same measurements as bench/swift/main.swift, from Python torch.

Prints one `name value` line per measurement (µs per op, GFLOP/s).
"""
import time

import torch


def best(repeats, fn):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


CHAIN = 1000
x = torch.randn(64, 64)


def plain():
    y = x
    for _ in range(CHAIN):
        y = y + x


tiny = torch.randn(4, 4)


def plain_tiny():
    y = tiny
    for _ in range(CHAIN):
        y = y + tiny


leaf = torch.randn(64, 64, requires_grad=True)


def recorded():
    y = leaf
    for _ in range(CHAIN):
        y = y + leaf


def fwd_bwd():
    y = leaf
    for _ in range(CHAIN):
        y = y + leaf
    y.sum().backward()
    leaf.grad = None


with torch.no_grad():
    print(f"add_chain_us {best(20, plain) / CHAIN * 1e6:.3f}")
    print(f"add_chain_4x4_us {best(20, plain_tiny) / CHAIN * 1e6:.3f}")
print(f"add_chain_autograd_us {best(20, recorded) / CHAIN * 1e6:.3f}")
print(f"add_chain_fwd_bwd_us {best(10, fwd_bwd) / CHAIN * 1e6:.3f}")
for n in (512, 2048):
    a, b = torch.randn(n, n), torch.randn(n, n)
    t = best(50 if n == 512 else 5, lambda: a @ b)
    print(f"matmul_{n}_gflops {2 * n ** 3 / t / 1e9:.2f}")
