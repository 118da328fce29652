#!/usr/bin/env python3
"""PyTorch half of the MiniMind CPU benchmark: the shapes of configs/minimind-cpu.toml in transformers'
LlamaForCausalLM (what a PyTorch user would run for a Llama-family model), trained with the loop `mnemo train`
runs.

What it does
    Encodes tinyshakespeare with MiniMind2's tokenizer (the `tokenizers` library; first 90% for training), builds
    LlamaForCausalLM(hidden 128, 4 layers, 4 query / 2 key-value heads, intermediate 384 — MiniMind's rule for
    dim 128 —, vocabulary 6400, RoPE θ 1e6, RMSNorm ε 1e-5, tied embeddings), and trains on random windows of
    128 tokens, batch 16, float32 on CPU: AdamW (0.9, 0.95; weight decay 0.1 on ≥2-D tensors), linear warmup
    50 then cosine to 1e-4 at step 1000, clipping at 1.0, the loss read back every step. The first
    --warmup-steps are not timed. Prints one line:
        pytorch-llama ms_per_step=… tok_per_s=… peak_rss_mb=… final_loss=…
    Mnemo's side: `mnemo train configs/minimind-cpu.toml --set rope_layout=rotate_half --bench` (the same
    layout as Llama's). bench/bench_minimind.sh alternates the two.

Usage
    "$(scripts/setup_python_env.sh --print-python)" bench/minimind_pytorch.py [--steps 200] [--threads N]
        [--data ../shared/data/tinyshakespeare.txt] [--tokenizer ../shared/data/minimind/minimind2/tokenizer.json]
"""

import argparse
import math
import resource
import time

import torch
from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForCausalLM


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--warmup-steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--data", default="../shared/data/tinyshakespeare.txt")
    p.add_argument("--tokenizer", default="../shared/data/minimind/minimind2/tokenizer.json")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--size", choices=["cpu", "minimind2"], default="cpu",
                   help="cpu: configs/minimind-cpu.toml's shapes; minimind2: the real MiniMind2 (dim 512, 8 layers)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--block", type=int, default=128)
    p.add_argument("--bf16", action="store_true", help="bf16 autocast (and fused AdamW on CUDA)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    text = open(args.data, encoding="utf-8").read()
    train = text[: int(len(text) * 0.9)]
    ids = torch.tensor(Tokenizer.from_file(args.tokenizer).encode(train).ids, dtype=torch.long)

    shapes = dict(hidden_size=128, intermediate_size=384, num_hidden_layers=4, num_attention_heads=4) if args.size == "cpu" \
        else dict(hidden_size=512, intermediate_size=1408, num_hidden_layers=8, num_attention_heads=8)
    config = LlamaConfig(vocab_size=6400, num_key_value_heads=2, max_position_embeddings=args.block, rope_theta=1e6,
                         rms_norm_eps=1e-5, tie_word_embeddings=True, attention_bias=False, **shapes)
    device = args.device
    model = LlamaForCausalLM(config).to(device)
    model.train()
    params = [q for q in model.parameters() if q.requires_grad]
    groups = [{"params": [q for q in params if q.dim() >= 2], "weight_decay": 0.1},
              {"params": [q for q in params if q.dim() < 2], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.95), fused=device.startswith("cuda"))

    def lr_at(it, warmup=50, decay=1000, top=1e-3, floor=1e-4):
        if it < warmup:
            return top * (it + 1) / (warmup + 1)
        ratio = min(1.0, (it - warmup) / (decay - warmup))
        return floor + 0.5 * (1 + math.cos(math.pi * ratio)) * (top - floor)

    batch, block = args.batch, args.block
    times, loss_value = [], float("nan")
    for it in range(args.steps):
        t0 = time.perf_counter()
        ix = torch.randint(len(ids) - block, (batch,))
        x = torch.stack([ids[i:i + block] for i in ix]).to(device)
        y = torch.stack([ids[i + 1:i + 1 + block] for i in ix]).to(device)
        for g in optimizer.param_groups:
            g["lr"] = lr_at(it)
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=args.bf16):
            logits = model(input_ids=x).logits
            loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)).float(), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss_value = loss.item()
        if it >= args.warmup_steps:
            times.append(time.perf_counter() - t0)
    ms = 1000 * sum(times) / len(times)
    print(f"pytorch-llama ms_per_step={ms:.2f} tok_per_s={batch * block / (ms / 1000):.0f} "
          f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} final_loss={loss_value:.4f}"
          + (f" peak_alloc_mb={torch.cuda.max_memory_allocated() / 2**20:.0f}" if device.startswith("cuda") else ""),
          flush=True)


if __name__ == "__main__":
    main()
