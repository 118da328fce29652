#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for StableMax, LogStableMax, StableMax cross-entropy, ⊥Grad and
softmax collapse (issue 4) into Tests/TorchTests/Fixtures/stablemax.safetensors, and their documentation into
Tests/TorchTests/Fixtures/stablemax.md.

How to run it (by hand, never in CI)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_stablemax_fixtures.py

The file follows the op-file convention of Tests/TorchTests/Fixtures/README.md: a case C stores C.in0, C.in1, ...
(inputs), C.out, C.out1, ... (outputs) and, for differentiable cases, C.cot and C.grad<i> = d/d in<i> of
(C.out * C.cot).sum(); the metadata key `cases` lists the cases in order. Optimizer cases have no gradients:
their outputs are the parameters after the steps.

The references below are written from the definitions of issue 4, not from any other implementation, and are
checked here against independent forms before anything is written:
    StableMax(x) = Softmax(sign(x) * log1p(|x|)),  LogStableMax = log(StableMax),
    StableMax CE with ignore index and label smoothing = the explicit formula
    (1 - eps) * (-log p_y) + eps * mean_c(-log p_c), averaged over the targets that are not ignored.
"""

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "Tests" / "TorchTests" / "Fixtures"
NAME = "stablemax"
MAX_FILE_BYTES = 100 * 1024

f32, f64, i64 = torch.float32, torch.float64, torch.int64
DTYPE_NAMES = {f32: "f32", f64: "f64", i64: "i64", torch.bool: "bool"}


# ----------------------------------------------------------------------------------------------------
# The definitions (issue 4)

def s(x):
    """s(x) = x + 1 for x >= 0, 1 / (1 - x) for x < 0; the negative branch on min(x, 0)."""
    return torch.where(x >= 0, x + 1, 1 / (1 - x.clamp(max=0)))


def log_s(x):
    """log s(x) = log1p(x) for x >= 0, -log1p(-x) below. The positive branch on x masked to 0 below 0 with where
    (clamp(min=0) has gradient 0 at x = 0, which would make the slope of log s at 0 wrong: it is 1)."""
    nonneg = x >= 0
    return torch.where(nonneg, torch.log1p(torch.where(nonneg, x, 0.0)), -torch.log1p(-x.clamp(max=0)))


def stablemax(x, dim=-1):
    sx = s(x)
    return sx / sx.sum(dim=dim, keepdim=True)


def log_stablemax(x, dim=-1):
    return log_s(x) - torch.log(s(x).sum(dim=dim, keepdim=True))


def stablemax_ce(logits, targets, ignore_index=-100, label_smoothing=0.0, compute=f64, reduction="mean"):
    """-LogStableMax(z)_y in `compute`, returned in the logits' dtype. Class axis last. Written through
    F.cross_entropy on the log-probabilities (log_softmax of normalised log-probabilities is the identity), which
    gives PyTorch's exact ignore-index and label-smoothing semantics."""
    classes = logits.shape[-1]
    logp = log_stablemax(logits.to(compute).reshape(-1, classes))
    loss = F.cross_entropy(logp, targets.reshape(-1), ignore_index=ignore_index, label_smoothing=label_smoothing,
                           reduction=reduction)
    if reduction == "none":
        loss = loss.reshape(targets.shape)
    return loss.to(logits.dtype)


def stablemax_ce_explicit(logits, targets, ignore_index=-100, label_smoothing=0.0):
    """The same loss written out (float64, mean reduction), as an independent check."""
    classes = logits.shape[-1]
    logp = log_stablemax(logits.double().reshape(-1, classes))
    t = targets.reshape(-1)
    valid = t != ignore_index
    nll = -logp[valid].gather(1, t[valid].unsqueeze(1)).squeeze(1)
    smooth = -logp[valid].mean(dim=1)
    per = (1 - label_smoothing) * nll + label_smoothing * smooth
    return per.sum() / valid.sum()


def orthogonal(param, grad):
    """⊥Grad: g - (θ·g / (θ·θ + 1e-30)) θ, rescaled to ‖g‖ (flattened, in the parameter's dtype)."""
    w, g = param.reshape(-1), grad.reshape(-1)
    proj = torch.dot(w, g) / (torch.dot(w, w) + 1e-30)
    g_orth = g - proj * w
    return (g_orth * (g.norm() / (g_orth.norm() + 1e-30))).reshape(grad.shape)


# ----------------------------------------------------------------------------------------------------
# Cases

class Cases:
    def __init__(self):
        self.tensors = {}
        self.rows = []
        self.checked = 0

    def put(self, key, t, checked=False):
        assert key not in self.tensors, key
        self.tensors[key] = t.detach().clone().contiguous()
        self.checked += checked

    def case(self, name, fn, expr, inputs, grad=True, cot=None):
        """fn(*leaves) -> output or tuple of outputs; `expr` documents it. Gradients of (out0 * cot).sum() with
        respect to every floating-point input when `grad`."""
        leaves = []
        for i, t in enumerate(inputs):
            t = t.detach().clone()
            if grad and t.is_floating_point():
                t.requires_grad_(True)
            leaves.append(t)
            self.put(f"{name}.in{i}", t)
        result = fn(*leaves)
        outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        for j, o in enumerate(outputs):
            self.put(f"{name}.out" if j == 0 else f"{name}.out{j}", o, checked=True)
        grads = []
        if grad:
            out = outputs[0]
            if cot is None:
                cot = torch.ones((), dtype=out.dtype) if out.dim() == 0 else torch.randn(out.shape, dtype=out.dtype)
            self.put(f"{name}.cot", cot)
            wrt = [(i, t) for i, t in enumerate(leaves) if t.requires_grad]
            gs = torch.autograd.grad((out * cot).sum(), [t for _, t in wrt])
            for (i, _), g in zip(wrt, gs):
                self.put(f"{name}.grad{i}", g, checked=True)
                grads.append(f"grad{i}")
        describe = lambda t: f"{tuple(t.shape)} {DTYPE_NAMES[t.dtype]}"
        self.rows.append((name, ", ".join(f"in{i} {describe(t)}" for i, t in enumerate(inputs)), expr,
                          ", ".join(("out" if j == 0 else f"out{j}") + " " + describe(o) for j, o in enumerate(outputs)),
                          ", ".join(grads) if grads else "—"))
        return outputs


def targets_for(n, classes, ignored=()):
    t = torch.randint(0, classes, (n,))
    for i in ignored:
        t[i] = -100
    return t


def build():
    torch.manual_seed(0)
    c = Cases()

    # s, log s, StableMax, LogStableMax, forward and backward, in both dtypes. Inputs avoid exact 0 (the kink).
    for dt in (f32, f64):
        tag = DTYPE_NAMES[dt]
        x = torch.randn(4, 7, dtype=dt) * 3
        c.case(f"s_{tag}", s, "s(in0)", [x])
        c.case(f"log_s_{tag}", log_s, "log_s(in0)", [torch.randn(4, 7, dtype=dt) * 3])
        x = torch.randn(4, 7, dtype=dt) * 3
        out, = c.case(f"stablemax_{tag}", stablemax, "stablemax(in0, dim=-1)", [x])
        oracle = torch.softmax(torch.sign(x) * torch.log1p(x.abs()), dim=-1)
        assert torch.allclose(out, oracle, rtol=1e-6 if dt == f32 else 1e-13, atol=0), "StableMax oracle"
        x = torch.randn(4, 7, dtype=dt) * 3
        out, = c.case(f"log_stablemax_{tag}", log_stablemax, "log_stablemax(in0, dim=-1)", [x])
        assert torch.allclose(out, torch.log(stablemax(x)), rtol=1e-5 if dt == f32 else 1e-12), "LogStableMax"
    c.case("stablemax_dim0_f32", lambda x: stablemax(x, dim=0), "stablemax(in0, dim=0)", [torch.randn(5, 3) * 3])

    # StableMax cross-entropy: computed in float64 (default) and returned in the logits' dtype.
    for dt in (f32, f64):
        tag = DTYPE_NAMES[dt]
        x, t = torch.randn(6, 7, dtype=dt) * 4, targets_for(6, 7)
        c.case(f"stablemax_ce_{tag}", lambda a, b: stablemax_ce(a, b), "stablemax_ce(in0, in1)", [x, t])
        x, t = torch.randn(6, 7, dtype=dt) * 4, targets_for(6, 7, ignored=(1, 4))
        out, = c.case(f"stablemax_ce_ignore_ls_{tag}",
                      lambda a, b: stablemax_ce(a, b, ignore_index=-100, label_smoothing=0.1),
                      "stablemax_ce(in0, in1, ignore_index=-100, label_smoothing=0.1)", [x, t])
        explicit = stablemax_ce_explicit(x, t, label_smoothing=0.1)
        assert abs(out.double().item() - explicit.item()) < (1e-6 if dt == f32 else 1e-12), "label smoothing"
    x, t = torch.randn(6, 7) * 4, targets_for(6, 7, ignored=(2,))
    c.case("stablemax_ce_sum_f32", lambda a, b: stablemax_ce(a, b, reduction="sum"),
           "stablemax_ce(in0, in1, reduction='sum')", [x, t])
    x, t = torch.randn(6, 7) * 4, targets_for(6, 7, ignored=(2,))
    c.case("stablemax_ce_none_f32", lambda a, b: stablemax_ce(a, b, reduction="none"),
           "stablemax_ce(in0, in1, reduction='none')", [x, t])
    x, t = torch.randn(2, 3, 7) * 4, targets_for(6, 7, ignored=(5,)).reshape(2, 3)
    c.case("stablemax_ce_3d_f32", lambda a, b: stablemax_ce(a, b), "stablemax_ce(in0, in1)  # (B, T, C), (B, T)",
           [x, t])
    x, t = torch.randn(6, 7) * 4, targets_for(6, 7)
    c.case("stablemax_ce_compute_f32", lambda a, b: stablemax_ce(a, b, compute=f32),
           "stablemax_ce(in0, in1, compute=torch.float32)", [x, t])

    # Logits [1000, 0, ...]: fp32 softmax CE is exactly 0 with an exactly-zero gradient (collapsed); StableMax CE
    # stays > 0 with a non-zero gradient.
    big = torch.zeros(2, 10)
    big[0, 0] = 1000
    big[1, 3] = 1000
    t = torch.tensor([0, 3])
    out, = c.case("collapse_softmax_ce_f32", lambda a, b: F.cross_entropy(a, b), "F.cross_entropy(in0, in1)",
                  [big, t])
    assert out.item() == 0
    out, = c.case("collapse_stablemax_ce_f32", lambda a, b: stablemax_ce(a, b), "stablemax_ce(in0, in1)", [big, t])
    assert out.item() > 0
    g = c.tensors["collapse_stablemax_ce_f32.grad0"]
    assert abs(g[0, 1].item() - 0.5 / 1010) < 1e-9, "d/dz_j = s'(0) / (2 * sum s) = 1 / 2020 at a 0 logit"

    # Margins 15 and 18 in float32: target logit m, best other 0, the rest in [-60, -40]. exp(-15) = 3.1e-7 is
    # above half an ulp of 1 (6.0e-8): not collapsed; exp(-18) = 1.5e-8 is below: collapsed.
    for margin in (15, 18):
        z = torch.rand(3, 10) * -20 - 40
        t = torch.tensor([2, 5, 9])
        for row, target in enumerate(t.tolist()):
            z[row, target] = margin
            z[row, (target + 1) % 10] = 0
        outs = c.case(f"margin{margin}_f32",
                      lambda a, b: (F.cross_entropy(a, b, reduction="none"),
                                    torch.exp(a - a.amax(dim=-1, keepdim=True)).sum(dim=-1)),
                      "F.cross_entropy(in0, in1, reduction='none'), "
                      "torch.exp(in0 - in0.amax(-1, keepdim=True)).sum(-1)", [z, t])
        collapsed = (outs[1] == 1).all().item()
        assert collapsed == (margin == 18), f"margin {margin}: collapsed {collapsed}"

    # ⊥Grad of one tensor.
    for dt in (f32, f64):
        tag = DTYPE_NAMES[dt]
        w, g = torch.randn(5, 4, dtype=dt), torch.randn(5, 4, dtype=dt)
        out, = c.case(f"ortho_grad_{tag}", orthogonal, "orthogonal(in0, in1)", [w, g], grad=False)
        assert abs(torch.dot(out.reshape(-1), w.reshape(-1)).item()) < 1e-4 * out.norm() * w.norm()

    # ⊥AdamW: torch.optim.AdamW (single-tensor implementation) stepping on ⊥ gradients; "fc.bias" skipped by name.
    def ortho_adamw(steps, dt):
        def run(w0, b0, *grads):
            w, b = w0.detach().clone(), b0.detach().clone()
            opt = torch.optim.AdamW([w, b], lr=1e-2, betas=(0.9, 0.99), eps=1e-25, weight_decay=0.1,
                                    foreach=False, fused=False)
            for k in range(steps):
                w.grad = orthogonal(w, grads[k])
                b.grad = grads[steps + k].clone()  # skipped: name "fc.bias" contains "bias"
                opt.step()
            return w, b
        return run

    for steps, dt, name in ((1, f32, "ortho_adamw_1step_f32"), (3, f32, "ortho_adamw_3steps_f32"),
                            (3, f64, "ortho_adamw_3steps_f64")):
        w0, b0 = torch.randn(5, 4, dtype=dt), torch.randn(4, dtype=dt)
        gw = [torch.randn(5, 4, dtype=dt) for _ in range(steps)]
        gb = [torch.randn(4, dtype=dt) for _ in range(steps)]
        c.case(name, ortho_adamw(steps, dt),
               f"{steps} step(s) of AdamW(lr=1e-2, betas=(0.9, 0.99), eps=1e-25, weight_decay=0.1) on "
               f"[fc.weight=in0, fc.bias=in1]; grads in2.. for fc.weight (⊥), then for fc.bias (skipped by name)",
               [w0, b0] + gw + gb, grad=False)

    # ⊥SGD with momentum: 1-D parameters skipped by shape.
    def ortho_sgd(w0, b0, g1, g2, g3, h1, h2, h3):
        w, b = w0.detach().clone(), b0.detach().clone()
        opt = torch.optim.SGD([w, b], lr=0.1, momentum=0.9, weight_decay=0.01, foreach=False)
        for gw, gb in ((g1, h1), (g2, h2), (g3, h3)):
            w.grad = orthogonal(w, gw)
            b.grad = gb.clone()  # skipped: 1-D
            opt.step()
        return w, b

    c.case("ortho_sgd_3steps_f32", ortho_sgd,
           "3 steps of SGD(lr=0.1, momentum=0.9, weight_decay=0.01) on [w=in0, b=in1]; grads in2..in4 for w (⊥), "
           "in5..in7 for b (1-D: skipped)",
           [torch.randn(5, 4), torch.randn(4)] + [torch.randn(5, 4) for _ in range(3)] + [torch.randn(4) for _ in range(3)],
           grad=False)
    return c


# ----------------------------------------------------------------------------------------------------
# Writing

def write(c):
    path = OUT_DIR / f"{NAME}.safetensors"
    metadata = {"family": "StableMax, LogStableMax, StableMax cross-entropy, softmax collapse, ⊥Grad (issue 4)",
                "torch": torch.__version__, "generator": "scripts/make_stablemax_fixtures.py",
                "cases": ",".join(row[0] for row in c.rows)}
    save_file(c.tensors, str(path), metadata=metadata)
    raw = path.read_bytes()  # sort the metadata so that regenerating is byte-for-byte reproducible
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + n:])
    path.chmod(0o644)
    size = path.stat().st_size
    assert size <= MAX_FILE_BYTES, f"{path.name} is {size} bytes"

    lines = [
        "# `stablemax.safetensors`: StableMax, LogStableMax, StableMax CE, softmax collapse, ⊥Grad",
        "",
        f"Generated by `scripts/make_stablemax_fixtures.py` with torch {torch.__version__} on CPU (one thread); "
        "do not edit by hand. Regenerate with",
        "",
        '    "$(scripts/setup_python_env.sh --print-python)" scripts/make_stablemax_fixtures.py',
        "",
        "Same case convention as the op files of README.md (`C.in*`, `C.out*`, `C.cot`, `C.grad*`). The functions in "
        "the expressions are the definitions of issue 4, written in the script: `s(x) = where(x >= 0, x + 1, "
        "1 / (1 - min(x, 0)))`; `log_s(x) = where(x >= 0, log1p(where(x >= 0, x, 0)), -log1p(-min(x, 0)))`; "
        "`stablemax(x) = s(x) / s(x).sum(dim)`; `log_stablemax(x) = log_s(x) - log(s(x).sum(dim))`; "
        "`stablemax_ce(z, y, ignore_index=-100, label_smoothing=0, compute=float64, reduction='mean')` = "
        "`F.cross_entropy(log_stablemax(z.to(compute)), y, ...)` cast back to z's dtype (class axis last); "
        "`orthogonal(θ, g)` = ⊥Grad of one tensor (g − (θ·g / (θ·θ + 1e-30)) θ, rescaled to ‖g‖). Optimizer cases "
        "have no gradients: their outputs are the parameters after the steps (PyTorch's single-tensor AdamW / SGD).",
        "",
        "| case | inputs | expression | outputs | grads |",
        "|---|---|---|---|---|",
    ]
    for name, inputs, expr, outputs, grads in c.rows:
        lines.append(f"| `{name}` | {inputs} | `{expr.replace('|', '&#124;')}` | {outputs} | {grads} |")
    (OUT_DIR / f"{NAME}.md").write_text("\n".join(lines) + "\n")
    return path, size


def main():
    torch.set_num_threads(1)
    c = build()
    path, size = write(c)
    print(f"torch {torch.__version__}: wrote {path.relative_to(ROOT)} ({len(c.rows)} cases, {len(c.tensors)} tensors, "
          f"{c.checked} checked, {size} bytes) and {NAME}.md")


if __name__ == "__main__":
    main()
