#!/usr/bin/env python3
"""One arm of Mnemo's grokking study (`mnemo grok`) in PyTorch, for speed and as a cross-check.

Same task, data, split, initial weights and optimizer as the Swift arm of the same name: (a + b) mod 113, every
pair, split by torch.randperm(p*p, generator=Generator().manual_seed(split_seed)); the MLP 226 -> 200 -> 200 -> 113
(ReLU, no bias) with PyTorch's default Linear init drawn from Generator().manual_seed(seed) layer by layer (the
stream Mnemo's `GrokMLP(generator:)` draws); full-batch AdamW (fused kernel, as Mnemo's) with eps 1e-25; ⊥Grad
written from its definition in issue 4. Prints one line

    pytorch steps_per_s=... ms_per_step=... final_train_loss=... test_acc=...

timing the optimizer steps after the first WARMUP (forward, loss, backward, ⊥Grad, step), evaluations excluded.

    "$(scripts/setup_python_env.sh --print-python)" bench/grok_pytorch.py --arm b1-orth-adamw-wd0 --steps 200
"""

import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ARMS = {  # name: (train fraction, loss, orthogonal, weight decay, beta2)
    "b1-adamw-wd0": (0.4, "softmax", False, 0.0, 0.99),
    "b1-orth-adamw-wd0": (0.4, "softmax", True, 0.0, 0.99),
    "b1-adamw-wd4": (0.4, "softmax", False, 4.0, 0.99),
    "b3-stablemax": (0.7, "stablemax", False, 0.0, 0.999),
    "b3-softmax": (0.7, "softmax", False, 0.0, 0.99),
}
WARMUP = 5


def stablemax_ce(logits, targets):
    z = logits.double()
    s = torch.where(z >= 0, z + 1, 1 / (1 - z.clamp(max=0)))
    nonneg = z >= 0
    log_s = torch.where(nonneg, torch.log1p(torch.where(nonneg, z, 0.0)), -torch.log1p(-z.clamp(max=0)))
    logp = log_s - torch.log(s.sum(-1, keepdim=True))
    return (-logp.gather(1, targets[:, None]).squeeze(1)).mean().float()


def orthogonalize_(params):
    for p in params:
        w, g = p.detach().reshape(-1), p.grad.reshape(-1)
        proj = torch.dot(w, g) / (torch.dot(w, w) + 1e-30)
        g_orth = g - proj * w
        p.grad.copy_((g_orth * (g.norm() / (g_orth.norm() + 1e-30))).view_as(p.grad))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arm", default="b1-orth-adamw-wd0", choices=sorted(ARMS))
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=0, help="print test accuracy every N steps (untimed)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=0.01)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fraction, loss_kind, orthogonal, weight_decay, beta2 = ARMS[args.arm]

    p = 113
    a = torch.arange(p).repeat_interleave(p)
    b = torch.arange(p).repeat(p)
    labels = (a + b) % p
    order = torch.randperm(p * p, generator=torch.Generator().manual_seed(args.split_seed))
    n_train = int(fraction * p * p)
    train, test = order[:n_train], order[n_train:]
    inputs = torch.cat([F.one_hot(a, p), F.one_hot(b, p)], dim=1).float()
    x_train, y_train, x_test, y_test = inputs[train], labels[train], inputs[test], labels[test]

    g = torch.Generator().manual_seed(args.seed)
    sizes = [2 * p, 200, 200, p]
    layers = nn.ModuleList(nn.Linear(i, o, bias=False) for i, o in zip(sizes[:-1], sizes[1:]))
    with torch.no_grad():
        for layer in layers:
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=g)

    def model(x):
        for i, layer in enumerate(layers):
            x = layer(x)
            if i < len(layers) - 1:
                x = F.relu(x)
        return x

    loss_fn = stablemax_ce if loss_kind == "stablemax" else F.cross_entropy
    params = list(layers.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, beta2), eps=1e-25, weight_decay=weight_decay, fused=True)

    def test_accuracy():
        with torch.no_grad():
            return (model(x_test).argmax(1) == y_test).float().mean().item()

    timed = 0.0
    for step in range(args.steps):
        if args.eval_every and step % args.eval_every == 0:
            print(f"step {step} test_acc {test_accuracy():.4f}", flush=True)
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_train), y_train)
        loss.backward()
        if orthogonal:
            with torch.no_grad():
                orthogonalize_(params)
        opt.step()
        if step >= WARMUP:
            timed += time.perf_counter() - start
    per_step = timed / max(1, args.steps - WARMUP)
    with torch.no_grad():  # after the last update, as Mnemo's last metrics line
        final_loss = loss_fn(model(x_train), y_train).item()
    print(f"pytorch steps_per_s={1 / per_step:.3f} ms_per_step={per_step * 1000:.2f} "
          f"final_train_loss={final_loss:.6g} test_acc={test_accuracy():.4f}")


if __name__ == "__main__":
    main()
