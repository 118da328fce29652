#!/usr/bin/env python3
"""torch.distributed.all_reduce (Gloo, CPU) latency and bandwidth, the same sizes and loop as
bench/allreduce/main.swift; one line per size on rank 0: `allreduce BYTES US_PER_CALL GB_PER_S`.
Run: torchrun --standalone --nproc_per_node=2 bench/allreduce_pytorch.py"""
import time

import torch
import torch.distributed as dist

dist.init_process_group("gloo")
rank = dist.get_rank()
for k in range(9):
    nbytes = 1024 << (2 * k)
    t = torch.ones(nbytes // 4, dtype=torch.float32)
    iterations = max(5, min(200, (256 << 20) // nbytes))
    for _ in range(3):
        dist.all_reduce(t)
    dist.barrier()
    start = time.perf_counter()
    for _ in range(iterations):
        dist.all_reduce(t)
    dist.barrier()
    seconds = (time.perf_counter() - start) / iterations
    if rank == 0:
        print(f"allreduce {nbytes} {seconds * 1e6:.1f} {nbytes / seconds / 1e9:.3f}", flush=True)
dist.destroy_process_group()
