#!/usr/bin/env python3
"""PyTorch reference for Mnemo's GPU training timing: GPT-2 124M, build-nanogpt's per-GPU micro-batch.

What it does
    Trains the nanoGPT-style GPT of scripts/make_gpt_fixtures.py (the module Mnemo's GPT is checked against;
    12 layers, 12 heads, 768 wide, context 1024, vocabulary 50304, no biases, tied head) on random windows of
    an llm.c token shard folder (`mnemo data prepare` output: *_train_*.bin, uint16 magic 20240520), with the
    same loop `mnemo train` runs: bf16 autocast, AdamW (fused=True, betas 0.9/0.95, weight decay 0.1 on ≥2-D
    tensors), warmup + cosine learning rate, gradient clipping at 1.0, no accumulation, the loss read back each
    step (loss.item(), as nanoGPT and Mnemo do). The first --warmup steps are not timed (and with --compile
    they hold the compilation).

    Prints one line:
        <label> ms_per_step=… tok_per_s=… peak_alloc_mb=… peak_reserved_mb=… final_loss=… params=… flops_per_token=…
    where flops_per_token is nanoGPT's estimate (6 N + 12 L H Q T, N without position embeddings) so the caller
    can state MFU against the card's peak.

Usage (on a CUDA machine)
    python3 bench/gpt2_gpu_pytorch.py --data gpu-bundle/data/shakespeare-gpt2 [--batch 64] [--block 1024]
        [--steps 30] [--warmup 10] [--compile] [--label pytorch-eager]
"""

import argparse
import glob
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from make_gpt_fixtures import GPT, GPTConfig  # noqa: E402


def load_train_tokens(folder):
    files = sorted(glob.glob(f"{folder}/*train*.bin"))
    if not files:
        sys.exit(f"no *train*.bin shards in {folder}")
    parts = []
    for f in files:
        header = np.fromfile(f, dtype=np.int32, count=256)
        if header[0] != 20240520 or header[1] != 1:
            sys.exit(f"{f}: not a uint16 llm.c shard (magic {header[0]}, version {header[1]})")
        parts.append(np.fromfile(f, dtype=np.uint16, offset=1024)[: header[2]])
    return torch.from_numpy(np.concatenate(parts).astype(np.int64))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--block", type=int, default=1024)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--label", default=None)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--device", default="cuda", help="cuda (the benchmark) or cpu (a smoke test of this script)")
    p.add_argument("--tiny", action="store_true", help="2 layers × 64 wide (a smoke test of this script)")
    args = p.parse_args()
    label = args.label or ("pytorch-compile" if args.compile else "pytorch-eager")

    torch.manual_seed(args.seed)
    device = args.device
    tokens = load_train_tokens(args.data)
    width = dict(n_layer=2, n_head=2, n_embd=64) if args.tiny else dict(n_layer=12, n_head=12, n_embd=768)
    config = GPTConfig(block_size=args.block, vocab_size=50304, dropout=0.0, bias=False, **width)
    model = GPT(config).to(device)
    n_params = sum(p.numel() for p in model.parameters()) - model.transformer.wpe.weight.numel()
    flops_per_token = 6 * n_params + 12 * config.n_layer * config.n_embd * config.block_size
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=6e-4, betas=(0.9, 0.95), eps=1e-8, fused=True)
    step_fn = torch.compile(model) if args.compile else model

    def lr_at(it, warmup=10, decay=args.steps, max_lr=6e-4, min_lr=6e-5):
        if it < warmup:
            return max_lr * (it + 1) / (warmup + 1)
        ratio = min(1.0, (it - warmup) / max(1, decay - warmup))
        return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)

    gen = torch.Generator().manual_seed(args.seed)
    times, loss_value = [], float("nan")
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    for it in range(args.steps):
        t0 = time.perf_counter()
        ix = torch.randint(len(tokens) - args.block, (args.batch,), generator=gen)
        x = torch.stack([tokens[i:i + args.block] for i in ix]).to(device, non_blocking=True)
        y = torch.stack([tokens[i + 1:i + 1 + args.block] for i in ix]).to(device, non_blocking=True)
        for g in optimizer.param_groups:
            g["lr"] = lr_at(it)
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16):
            _, loss = step_fn(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss_value = loss.item()
        if it >= args.warmup:
            times.append(time.perf_counter() - t0)
    ms = 1000 * sum(times) / max(len(times), 1)
    peak_alloc = torch.cuda.max_memory_allocated() / 2**20 if cuda else 0
    peak_reserved = torch.cuda.max_memory_reserved() / 2**20 if cuda else 0
    tok_per_s = args.batch * args.block / (ms / 1000)
    print(f"{label} ms_per_step={ms:.2f} tok_per_s={tok_per_s:.0f} "
          f"peak_alloc_mb={peak_alloc:.0f} peak_reserved_mb={peak_reserved:.0f} final_loss={loss_value:.4f} "
          f"params={n_params} flops_per_token={flops_per_token}", flush=True)


if __name__ == "__main__":
    main()
