#!/usr/bin/env python3
"""PyTorch half of the training benchmark: nanoGPT's training loop for the shakespeare-char-cpu config.

What it does
    Trains the nanoGPT-style GPT from scripts/make_gpt_fixtures.py (same module, so the two can't drift) on
    character-level tinyshakespeare with nanoGPT's train.py semantics: vocabulary = sorted set of the
    file's characters, first 90% train / last 10% val, random windows as get_batch draws them (one
    torch.randint per batch from the global generator), AdamW from configure_optimizers, the warmup +
    cosine learning rate of get_lr, gradient clipping, float32 on CPU, no gradient accumulation.

    Benchmark mode (default): trains --steps optimizer steps; the first --warmup-steps are not timed.
    The last line of stdout is machine-readable:
        <label> ms_per_step=<timed ms / step> tok_per_s=<batch*block / s> peak_rss_mb=<ru_maxrss> final_loss=<loss of the last step>
    where <label> is --label, by default `pytorch`, `pytorch-compile`, `pytorch-fused` or
    `pytorch-compile-fused` after the flags below. bench/bench_train.sh compares it with
    `mnemo train ... --bench`, which prints the same fields.

    Speed options (both off by default, so the default is nanoGPT's CPU loop as it is):
      --fused    AdamW(fused=True): one fused kernel for the whole update (on CPU since torch 2.4).
      --compile  model = torch.compile(model) (TorchInductor; on CPU it needs a C++ compiler, g++).
                 The first step compiles forward and backward (on a 2-core machine about 20 s cold,
                 1.5 s from Inductor's cache); later steps run at full speed, so the default 10 untimed
                 steps already leave it out (bench/bench_train.sh uses 20 for a margin). Inductor
                 caches kernels in TORCHINDUCTOR_CACHE_DIR (default $TMPDIR/torchinductor_$USER) and
                 precompiled headers in $TMPDIR/torchinductor_$USER.
    `--compile --fused` is what a PyTorch user picks for speed: bench/bench_train.sh's second reference.

    Eval mode (--eval-every K): as nanoGPT, before the step of every iteration divisible by K and once
    after the last step, prints "step N: train loss X, val loss Y", each the mean of --eval-iters random
    batches in eval mode under no_grad (these batches come from the same generator as training, as in
    nanoGPT). Evaluation time is not counted in ms_per_step. The reference run:
        bench/train_pytorch.py --steps 2000 --eval-every 2000

What it does not do
    No GPU, no mixed precision, no checkpoints, no sampling: it is a timing and loss reference for one
    small CPU config.

Usage
    "$(scripts/setup_python_env.sh --print-python)" bench/train_pytorch.py [--steps 200] [--warmup-steps 10]
        [--threads N] [--seed 1337] [--data PATH] [--eval-every K] [--eval-iters 200] [--log-every K]
        [--compile] [--fused] [--label NAME]
"""

import argparse
import inspect
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from make_gpt_fixtures import GPT, GPTConfig  # noqa: E402  (the nanoGPT-style model)

# shakespeare-char-cpu (nanoGPT's config/train_shakespeare_char.py with the README's CPU overrides)
N_LAYER, N_HEAD, N_EMBD = 4, 4, 128
BLOCK_SIZE = 64            # context length in characters
BATCH_SIZE = 12
DROPOUT = 0.0
BIAS = False               # no bias in Linear and LayerNorm layers
LEARNING_RATE = 1e-3       # peak; small model, so it can afford a large rate
BETAS = (0.9, 0.99)        # beta2 0.99 rather than 0.95: few tokens per step
WEIGHT_DECAY = 0.1         # applied to tensors with two or more dimensions only (see configure_optimizers)
WARMUP_ITERS = 100
LR_DECAY_ITERS = 2000      # cosine decay reaches MIN_LR here, independent of --steps
MIN_LR = 1e-4              # learning_rate / 10, as in the Chinchilla recipe
GRAD_CLIP = 1.0


def get_lr(it):
    """Linear warmup, then cosine decay from LEARNING_RATE to MIN_LR at LR_DECAY_ITERS, then MIN_LR."""
    if it < WARMUP_ITERS:
        return LEARNING_RATE * (it + 1) / (WARMUP_ITERS + 1)
    if it > LR_DECAY_ITERS:
        return MIN_LR
    decay_ratio = (it - WARMUP_ITERS) / (LR_DECAY_ITERS - WARMUP_ITERS)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0
    return MIN_LR + coeff * (LEARNING_RATE - MIN_LR)


def configure_optimizers(model, device_type="cpu", fused=False):
    """AdamW with weight decay on every parameter with two or more dimensions (matmul weights and
    embeddings) and none on the rest (biases, LayerNorm gains). As nanoGPT, fused=True is asked for on
    CUDA only; on CPU no implementation is named, so torch picks its default (for CPU tensors that is
    the single-tensor loop: foreach kernels are CUDA-only). fused=True (--fused) asks for the fused
    kernel on CPU too."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}]
    use_fused = "fused" in inspect.signature(torch.optim.AdamW).parameters and (device_type == "cuda" or fused)
    if fused and not use_fused:
        sys.exit(f"--fused: torch {torch.__version__} has no fused AdamW")
    extra = {"fused": True} if use_fused else {}
    return torch.optim.AdamW(groups, lr=LEARNING_RATE, betas=BETAS, **extra)


def load_data(path):
    """nanoGPT's shakespeare_char prepare.py: ids over the sorted character set, 90/10 split."""
    text = path.read_text(encoding="utf-8")
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = np.array([stoi[c] for c in text], dtype=np.uint16)
    n = int(len(data) * 0.9)
    return len(chars), data[:n], data[n:]


def get_batch(data):
    ix = torch.randint(len(data) - BLOCK_SIZE, (BATCH_SIZE,))
    x = torch.stack([torch.from_numpy(data[i:i + BLOCK_SIZE].astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy(data[i + 1:i + 1 + BLOCK_SIZE].astype(np.int64)) for i in ix])
    return x, y  # each (BATCH_SIZE, BLOCK_SIZE)


@torch.no_grad()
def estimate_loss(model, splits, eval_iters):
    out = {}
    model.eval()
    for name, data in splits.items():
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            x, y = get_batch(data)
            _, loss = model(x, y)
            losses[k] = loss.item()
        out[name] = losses.mean().item()
    model.train()
    return out


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=200, help="optimizer steps in all (default 200)")
    p.add_argument("--warmup-steps", type=int, default=10, help="first steps, not timed (default 10)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "tinyshakespeare.txt",
                   help="tinyshakespeare text (default ../shared/data/tinyshakespeare.txt from the repo root)")
    p.add_argument("--eval-every", type=int, default=0, help="evaluate every K iterations and at the end (0: never)")
    p.add_argument("--eval-iters", type=int, default=200, help="batches per split in an evaluation")
    p.add_argument("--log-every", type=int, default=0, help="print the training loss every K steps (0: never)")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the model (compiles in the first steps: raise --warmup-steps)")
    p.add_argument("--fused", action="store_true", help="fused AdamW (AdamW(fused=True)) on CPU")
    p.add_argument("--label", default=None,
                   help="first word of the result line (default: pytorch[-compile][-fused] after the flags)")
    args = p.parse_args()
    if args.label is None:
        args.label = "pytorch" + ("-compile" if args.compile else "") + ("-fused" if args.fused else "")
    if not args.label or any(c.isspace() for c in args.label):
        p.error(f"--label must be one word, got {args.label!r}")
    if args.steps <= args.warmup_steps:
        p.error(f"--steps ({args.steps}) must be larger than --warmup-steps ({args.warmup_steps})")
    if not args.data.is_file():
        p.error(f"data file not found: {args.data} (pass --data PATH to tinyshakespeare.txt)")
    return args


def main():
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    vocab_size, train_data, val_data = load_data(args.data)

    config = GPTConfig(vocab_size=vocab_size, block_size=BLOCK_SIZE, n_layer=N_LAYER, n_head=N_HEAD,
                       n_embd=N_EMBD, dropout=DROPOUT, bias=BIAS)
    model = GPT(config)
    model.train()
    optimizer = configure_optimizers(model, fused=args.fused)  # on the parameters, before any compile
    n_params = sum(p.numel() for p in model.parameters())
    if args.compile:
        model = torch.compile(model)  # shares the parameters; compiles at the first forward / backward
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, vocab {vocab_size}, "
          f"params {n_params:,} (wpe included), train {len(train_data):,} / val {len(val_data):,} chars, "
          f"steps {args.steps} ({args.warmup_steps} untimed), compile {args.compile}, fused AdamW {args.fused}",
          flush=True)

    splits = {"train": train_data, "val": val_data}
    timed_seconds = 0.0
    x, y = get_batch(train_data)
    for it in range(args.steps):
        if args.eval_every and it % args.eval_every == 0:
            losses = estimate_loss(model, splits, args.eval_iters)
            print(f"step {it}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}", flush=True)

        t0 = time.perf_counter()
        lr = get_lr(it)
        for group in optimizer.param_groups:
            group["lr"] = lr
        _, loss = model(x, y)
        x, y = get_batch(train_data)  # the next batch, fetched while (in nanoGPT, on GPU) the step runs
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        last_loss = loss.item() if it == args.steps - 1 or args.log_every else None
        if it >= args.warmup_steps:
            timed_seconds += time.perf_counter() - t0

        if args.log_every and it % args.log_every == 0:
            print(f"iter {it}: loss {last_loss:.4f}, lr {lr:.2e}", flush=True)

    if args.eval_every:
        losses = estimate_loss(model, splits, args.eval_iters)
        print(f"step {args.steps}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}", flush=True)

    timed_steps = args.steps - args.warmup_steps
    ms_per_step = 1000.0 * timed_seconds / timed_steps
    tok_per_s = BATCH_SIZE * BLOCK_SIZE * timed_steps / timed_seconds
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB
    print(f"{args.label} ms_per_step={ms_per_step:.3f} tok_per_s={tok_per_s:.1f} "
          f"peak_rss_mb={peak_rss_mb:.1f} final_loss={last_loss:.4f}", flush=True)


if __name__ == "__main__":
    main()
