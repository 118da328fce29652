#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for Mnemo's CortexGPT dual-memory layer (short-term ring attention,
long-term compressed k-nearest memory, a three-way gate, a sparse activation and StabilizedLoss's regularisers)
into Tests/MnemoModelsTests/Fixtures/cortex/.

What it does
    Restates, in plain PyTorch and for one layer in isolation, the layer of the contract in the README next to the
    fixtures (the CortexGPT repository comsa33/brain-inspired-gpt and its stability document, as Mnemo implements
    them), with these variants:
      gate           stabilized (Linear without bias, + gate_bias, / clamp(gate_temperature, min=0.1)) | softmax
      memory_norm    LayerNorm on each retrieval, learnable memory_scale (3), output LayerNorm of out + x
      sparsity       gumbel (soft top-k with Gumbel noise in training, hard top-k at evaluation) | hard |
                     tokens (upstream: softmax over batch x time with Gumbel noise at tau 0.5)
      residual_weight, stop_gradient, shared_stm (one time-major STM ring for the whole batch, window S // B)
    It runs one forward and backward pass per file on CPU in float32 and stores parameters, state, inputs, outputs,
    the regularisers, the objective and every gradient:
      cortex_toolkit.safetensors, cortex_toolkit_eval.safetensors, cortex_legacy.safetensors,
      cortex_unified.safetensors, cortex_empty.safetensors
    and the label-smoothed KL of StabilizedLoss next to torch's label-smoothed cross entropy:
      stabilized_loss.safetensors
    plus Tests/MnemoModelsTests/Fixtures/cortex/README.md, which documents every key and formula (the contract the
    Swift tests follow). Each file stays below MAX_FILE_BYTES; the script fails otherwise.

What it does not do
    It imports no project code, downloads nothing (everything is drawn from fixed seeds) and never runs in CI: the
    Swift tests only read the committed files. It does not cover consolidation (STM -> LTM) nor the ring the layer
    keeps for the next chunk: the state is an input here.

How to run it (by hand)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_cortex_fixtures.py

    A file is rewritten only when its tensors or metadata change (the README only when its text changes), so
    re-running on the same machine leaves git clean. Then commit the regenerated files.

Checks done before writing: no NaN or inf anywhere (a query with no allowed STM key gets A = 0 through a finite
mask fill times "any key allowed", not a NaN softmax); every top-k decision (the sparsity threshold theta and the
hard masks, the LTM's k nearest rows) is at least DECISION_MARGIN away from a tie (seeds are advanced until it is, so
float32 rounding differences in Swift cannot flip a choice); STM and LTM equal a per-query loop in float64; the
whole forward and backward in float64 gives the same masks and agrees within tolerance; exactly the parameters that
must get no gradient (stop_gradient, hard masks, an empty LTM) have grad None, and they are stored as zeros; the
label-smoothed KL and torch's label-smoothed cross entropy have the same gradient (1e-6).
"""

import json
import math
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import save_fixture  # noqa: E402  (rewrite only on change)

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "Tests" / "MnemoModelsTests" / "Fixtures" / "cortex"
MAX_FILE_BYTES = 200 * 1024
GENERATOR = "scripts/make_cortex_fixtures.py"
DECISION_MARGIN = 1e-3  # minimum gap between the k-th and (k+1)-th value of every top-k decision
MASK_FILL = -1e30  # finite fill for disallowed STM logits (exp underflows to exactly 0; no NaN for empty rows)
LN_EPS = 1e-5

B, T = 2, 6  # batch, chunk length
L_SLOTS = 10  # LTM slots L
INIT = {  # random init of every file's layer (see init_random)
    "linear_weight_std": 0.3, "linear_bias_std": 0.1, "norm_weight": "1 + N(0, 0.2)", "norm_bias_std": 0.1,
    "stm_decay": -3.0, "gate_bias": "[0.5, 0.3, 0.2] + N(0, 0.05)", "gate_temperature": 0.8,
    "sparsity_temperature": 0.7, "memory_scale": "1 + N(0, 0.2)",
}


# ----------------------------------------------------------------------------------------------------
# The layer (written for this script after the contract; names = Mnemo's CortexMemory parameter names)

@dataclass
class CortexConfig:
    gate: str = "stabilized"  # stabilized | softmax
    memory_norm: bool = True
    sparsity: str = "gumbel"  # none | gumbel | hard | tokens
    sparsity_target: float = 0.25
    residual_weight: float = 0.0
    stop_gradient: bool = False
    shared_stm: bool = False
    training: bool = True
    stm_slots: int = 4  # S
    ltm_top_k: int = 3  # k
    ltm_dim: int = 4  # dc
    n_embd: int = 8  # C
    chunk_start: int = 5  # absolute position of the chunk's first token


def config_json(config):
    return json.dumps(asdict(config), separators=(",", ":"))


def ln(ndim):
    return nn.LayerNorm(ndim, eps=LN_EPS, elementwise_affine=True)


class CortexLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C, dc = cfg.n_embd, cfg.ltm_dim
        self.stm_query = nn.Linear(C, C, bias=False)
        self.stm_key = nn.Linear(C, C, bias=False)
        self.stm_decay = nn.Parameter(torch.zeros(1))
        self.compress_1, self.compress_norm_1 = nn.Linear(C, C // 2), ln(C // 2)
        self.compress_2, self.compress_norm_2 = nn.Linear(C // 2, C // 4), ln(C // 4)
        self.compress_3 = nn.Linear(C // 4, dc)
        self.decompress_1, self.decompress_norm_1 = nn.Linear(dc, C // 4), ln(C // 4)
        self.decompress_2, self.decompress_norm_2 = nn.Linear(C // 4, C // 2), ln(C // 2)
        self.decompress_3 = nn.Linear(C // 2, C)
        stabilized = cfg.gate == "stabilized"
        assert cfg.gate in ("stabilized", "softmax")
        self.gate = nn.Linear(3 * C, 3, bias=not stabilized)
        if stabilized:
            self.gate_bias = nn.Parameter(torch.tensor([0.5, 0.3, 0.2]))
            self.gate_temperature = nn.Parameter(torch.ones(1))
        if cfg.memory_norm:
            self.stm_norm, self.ltm_norm, self.output_norm = ln(C), ln(C), ln(C)
            self.memory_scale = nn.Parameter(torch.ones(3))
        if cfg.sparsity in ("gumbel", "hard"):
            self.importance = nn.Linear(C, C)
        elif cfg.sparsity == "tokens":
            self.importance = nn.Linear(C, 1)
        else:
            assert cfg.sparsity == "none"
        if cfg.sparsity == "gumbel":
            self.sparsity_temperature = nn.Parameter(torch.ones(1))

    def init_random(self):
        """Random values so that every term matters (see INIT)."""
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name == "stm_decay":
                    p.fill_(INIT["stm_decay"])
                elif name == "gate_bias":
                    p.copy_(torch.tensor([0.5, 0.3, 0.2]) + 0.05 * torch.randn(3))
                elif name == "gate_temperature":
                    p.fill_(INIT["gate_temperature"])
                elif name == "sparsity_temperature":
                    p.fill_(INIT["sparsity_temperature"])
                elif name == "memory_scale":
                    p.copy_(1 + 0.2 * torch.randn(3))
                elif "norm" in name:
                    p.copy_(1 + 0.2 * torch.randn_like(p) if name.endswith(".weight") else 0.1 * torch.randn_like(p))
                elif name.endswith(".bias"):
                    p.copy_(INIT["linear_bias_std"] * torch.randn_like(p))
                else:
                    p.copy_(INIT["linear_weight_std"] * torch.randn_like(p))

    def compress(self, z):
        h = self.compress_norm_1(F.gelu(self.compress_1(z)))
        h = self.compress_norm_2(F.gelu(self.compress_2(h)))
        return self.compress_3(h)

    def decompress(self, z):
        h = self.decompress_norm_1(F.gelu(self.decompress_1(z)))
        h = self.decompress_norm_2(F.gelu(self.decompress_2(h)))
        return self.decompress_3(h)

    def short_term(self, x, ring_x, ring_pos, ring_valid):
        """stm (B, T, C), conf (B, T), allowed (N, R, K)."""
        cfg = self.cfg
        Bx, Tx, C = x.shape
        S = cfg.stm_slots
        steps = cfg.chunk_start + torch.arange(Tx, dtype=torch.int64)
        if cfg.shared_stm:  # one time-major sequence of T·B rows: n = t·B + b
            rows = x.transpose(0, 1).reshape(1, Tx * Bx, C)
            pos = steps.repeat_interleave(Bx).unsqueeze(0)  # (1, T·B)
            window = max(1, S // Bx)
        else:
            rows = x
            pos = steps.unsqueeze(0).expand(Bx, Tx)
            window = S
        keys = torch.cat([ring_x.to(x.dtype), rows], dim=1)  # (N, K, C); the ring part is a constant
        kpos = torch.cat([ring_pos, pos], dim=1)
        kvalid = torch.cat([ring_valid, torch.ones_like(pos, dtype=torch.bool)], dim=1)
        q = self.stm_query(rows)
        k = self.stm_key(keys)
        gap = pos[:, :, None] - kpos[:, None, :]  # (N, R, K)
        allowed = kvalid[:, None, :] & (gap > 0) & (gap <= window)
        ln_lambda = -F.softplus(self.stm_decay)
        logits = q @ k.transpose(1, 2) / math.sqrt(C) + gap.to(x.dtype) * ln_lambda
        any_allowed = allowed.any(dim=-1, keepdim=True)
        a = torch.softmax(logits.masked_fill(~allowed, MASK_FILL), dim=-1) * any_allowed.to(x.dtype)
        stm = a @ keys
        conf = a.max(dim=-1).values
        if cfg.shared_stm:
            stm = stm.reshape(Tx, Bx, C).transpose(0, 1)
            conf = conf.reshape(Tx, Bx).transpose(0, 1)
        return stm, conf, allowed

    def long_term(self, qc, memory, valid):
        """ltm (B, T, C) and the sorted distances to the valid rows (B, T, Lv) (None when no row is valid)."""
        Bx, Tx, _ = qc.shape
        mem = memory.to(qc.dtype)[valid]  # (Lv, dc)
        if mem.shape[0] == 0:
            return torch.zeros(Bx, Tx, self.cfg.n_embd, dtype=qc.dtype), None
        d = (qc.pow(2).sum(-1, keepdim=True) - 2 * qc @ mem.T + mem.pow(2).sum(-1)).clamp(min=0)  # (B, T, Lv)
        k_eff = min(self.cfg.ltm_top_k, mem.shape[0])
        dk, idx = torch.topk(d, k_eff, dim=-1, largest=False)
        w = 1.0 / (dk + 1e-6)
        w = w / w.sum(-1, keepdim=True)
        values = self.decompress(mem)  # (Lv, C)
        ltm = (w.unsqueeze(-1) * values[idx]).sum(-2)
        return ltm, torch.sort(d.detach(), dim=-1).values

    def sparsity_mask(self, x, gumbel):
        """mask (B, T, C) or (B, T, 1), and the scores on which a top-k decision is taken (or None)."""
        cfg = self.cfg
        if cfg.sparsity == "none":
            return torch.ones_like(x), None
        s = self.importance(x)
        if cfg.sparsity == "tokens":
            flat = s.reshape(-1)
            if cfg.training:
                return torch.softmax((flat + gumbel.reshape(-1)) / 0.5, dim=0).view(s.shape), None
            kk = max(1, int(flat.numel() * cfg.sparsity_target))
            return hard_top_k(flat, kk).view(s.shape), (flat.detach().unsqueeze(0), kk)
        kk = max(1, int(cfg.n_embd * cfg.sparsity_target))
        if cfg.sparsity == "gumbel" and cfg.training:
            st = (s + gumbel) / self.sparsity_temperature.clamp(min=0.1)
            theta = torch.topk(st, kk, dim=-1).values.min(dim=-1, keepdim=True).values
            return torch.sigmoid(10 * (st - theta)), (st.detach(), kk)
        return hard_top_k(s, kk), (s.detach(), kk)

    def forward(self, x, state, gumbel):
        cfg = self.cfg
        stm, conf, allowed = self.short_term(x, state["ring_x"], state["ring_pos"], state["ring_valid"])
        ltm, ltm_d = self.long_term(self.compress(x), state["ltm_memory"], state["ltm_valid"])
        m1, m2 = stm, ltm
        if cfg.stop_gradient:
            m1, m2 = m1.detach(), m2.detach()
        c = x
        if cfg.memory_norm:
            s = self.memory_scale
            c, m1, m2 = s[0] * x, s[1] * self.stm_norm(m1), s[2] * self.ltm_norm(m2)
        z = self.gate(torch.cat([c, m1, m2], dim=-1))
        if cfg.gate == "stabilized":
            z = (z + self.gate_bias) / self.gate_temperature.clamp(min=0.1)
        g = torch.softmax(z, dim=-1)
        mixed = c + g[..., 1:2] * (m1 - c) + g[..., 2:3] * (m2 - c)
        mask, decision = self.sparsity_mask(x, gumbel)
        if cfg.residual_weight > 0:
            out = x + cfg.residual_weight * mask * mixed
        else:
            out = x + mask * (mixed - x)
        if cfg.memory_norm:
            out = self.output_norm(out + x)
        gate_smoothness = (g[:, 1:] - g[:, :-1]).pow(2).mean()
        gate_entropy = 2.0 - (-(g * torch.log(g + 1e-8)).mean())
        sparsity = (mask.mean() - cfg.sparsity_target) ** 2
        return dict(stm=stm, conf=conf, ltm=ltm, gate=g, mask=mask, out=out, gate_smoothness=gate_smoothness,
                    gate_entropy=gate_entropy, sparsity=sparsity, allowed=allowed, ltm_d=ltm_d, decision=decision)


def hard_top_k(scores, kk):
    """1 at the kk largest scores along the last axis, else 0 (no gradient)."""
    idx = torch.topk(scores.detach(), kk, dim=-1).indices
    return torch.zeros_like(scores).scatter(-1, idx, 1.0)


def objective_of(out, upstream):
    return (out["out"] * upstream).sum() + out["gate_smoothness"] + out["gate_entropy"] + out["sparsity"]


# ----------------------------------------------------------------------------------------------------
# Writing files

def save(name, tensors, metadata):
    """Writes OUT_DIR/name only when its tensors or metadata change (fixtures_safetensors.save_fixture)."""
    return save_fixture(OUT_DIR / name, tensors, metadata, MAX_FILE_BYTES)


# ----------------------------------------------------------------------------------------------------
# Cases

def state_toolkit(cfg, ring_x, ltm_memory):
    return dict(ring_x=ring_x, ring_pos=torch.tensor([[1, 2, 3, 4], [3, 4, 1, 2]], dtype=torch.int64),
                ring_valid=torch.tensor([[True, True, True, True], [True, True, True, False]]),
                ltm_memory=ltm_memory, ltm_valid=torch.tensor([i not in (2, 5, 8) for i in range(L_SLOTS)]))


def state_empty(cfg, ring_x, ltm_memory):
    st = state_toolkit(cfg, ring_x, ltm_memory)
    st["ring_valid"] = torch.zeros(B, cfg.stm_slots, dtype=torch.bool)
    st["ltm_valid"] = torch.zeros(L_SLOTS, dtype=torch.bool)
    return st


def state_legacy(cfg, ring_x, ltm_memory):
    st = state_toolkit(cfg, ring_x, ltm_memory)
    st["ring_valid"] = torch.zeros(B, cfg.stm_slots, dtype=torch.bool)
    st["ltm_valid"] = torch.tensor([i in (3, 7) for i in range(L_SLOTS)])
    return st


def state_unified(cfg, ring_x, ltm_memory):
    # the previous chunk's last S // B positions of every sequence, time-major (n = t·B + b)
    return dict(ring_x=ring_x, ring_pos=torch.tensor([[3, 3, 4, 4]], dtype=torch.int64),
                ring_valid=torch.ones(1, cfg.stm_slots, dtype=torch.bool),
                ltm_memory=ltm_memory, ltm_valid=torch.tensor([i not in (0, 4, 9) for i in range(L_SLOTS)]))


TOOLKIT = CortexConfig()
# name -> (seed, config, state builder, configs whose top-k decisions the same draw must also satisfy)
CASES = {
    "toolkit": (6101, TOOLKIT, state_toolkit, [replace(TOOLKIT, training=False)]),
    "toolkit_eval": (6101, replace(TOOLKIT, training=False), state_toolkit, [TOOLKIT]),
    "legacy": (6102, CortexConfig(gate="softmax", memory_norm=False, sparsity="hard"), state_legacy, []),
    "unified": (6103, CortexConfig(gate="softmax", memory_norm=False, sparsity="tokens", residual_weight=0.1,
                                   stop_gradient=True, shared_stm=True), state_unified, []),
    "empty": (6101, TOOLKIT, state_empty, [replace(TOOLKIT, training=False)]),
}
# parameters that must get no gradient (grad None in PyTorch; stored as zeros)
MEMORY_PATH = ("stm_query.", "stm_key.", "stm_decay", "compress_", "decompress_")


def expected_no_grad(cfg, state, names):
    none = set()
    for n in names:
        if cfg.stop_gradient and n.startswith(MEMORY_PATH):
            none.add(n)
        if not bool(state["ltm_valid"].any()) and n.startswith(("compress_", "decompress_")):
            none.add(n)
        hard = cfg.sparsity == "hard" or (cfg.sparsity in ("gumbel", "tokens") and not cfg.training)
        if hard and n.startswith(("importance.", "sparsity_temperature")):
            none.add(n)
    return none


def draw(seed, cfg, state_fn):
    """Layer, state, inputs after torch.manual_seed(seed), in this order: parameters (named_parameters order,
    init_random), x, ring_x, ltm_memory, gumbel (always drawn, stored only when used), upstream."""
    torch.manual_seed(seed)
    layer = CortexLayer(cfg)
    layer.init_random()
    C, S = cfg.n_embd, cfg.stm_slots
    x = torch.randn(B, T, C)
    ring_x = torch.randn(1 if cfg.shared_stm else B, S, C)
    ltm_memory = 0.7 * torch.randn(L_SLOTS, cfg.ltm_dim)
    u = torch.rand(B, T, 1 if cfg.sparsity == "tokens" else C)
    gumbel = -torch.log(-torch.log(u + 1e-8) + 1e-8)
    upstream = torch.randn(B, T, C)
    return layer, state_fn(cfg, ring_x, ltm_memory), x, gumbel, upstream


def margins(layer, state, x, gumbel):
    """The smallest gap at every top-k boundary (sparsity: between the kk-th and its neighbours; LTM: between the
    k-th and (k+1)-th nearest valid row), or inf where there is no decision."""
    with torch.no_grad():
        out = layer(x, state, gumbel)
    m = [math.inf]
    if out["decision"] is not None:
        scores, kk = out["decision"]
        srt = torch.sort(scores, dim=-1, descending=True).values
        m.append((srt[..., kk - 1] - srt[..., kk]).min().item())  # which elements are kept
        if kk > 1:  # theta = the min of the kept values: its gradient must go to one element only
            m.append((srt[..., kk - 2] - srt[..., kk - 1]).min().item())
    d = out["ltm_d"]
    if d is not None:
        k = layer.cfg.ltm_top_k
        if d.shape[-1] > k:
            m.append((d[..., k] - d[..., k - 1]).min().item())
        m.append(d[..., 0].min().item())  # away from the clamp at 0
    return min(m)


def choose_seed(seed, cfg, state_fn, also):
    for attempt in range(200):
        s = seed + attempt
        layer, state, x, gumbel, _ = draw(s, cfg, state_fn)
        ok = margins(layer, state, x, gumbel) >= DECISION_MARGIN
        for other in also:
            if not ok:
                break
            o_layer, o_state, o_x, o_gumbel, _ = draw(s, other, state_fn)
            ok = margins(o_layer, o_state, o_x, o_gumbel) >= DECISION_MARGIN
        if ok:
            return s
    raise AssertionError(f"no seed from {seed} gives top-k margins >= {DECISION_MARGIN}")


def run(layer, state, x, gumbel, upstream):
    layer.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    out = layer(x, state, gumbel)
    objective = objective_of(out, upstream)
    objective.backward()
    grads = {n: p.grad for n, p in layer.named_parameters()}
    return out, objective, x.grad, grads


def loop_reference(layer, state, x):
    """STM and LTM in float64 with a per-query loop (an independent restatement of the vectorised code)."""
    cfg = layer.cfg
    with torch.no_grad():
        x = x.double()
        Wq, Wk = layer.stm_query.weight.double(), layer.stm_key.weight.double()
        ln_lambda = -F.softplus(layer.stm_decay.double()).item()
        S, C = cfg.stm_slots, cfg.n_embd
        stm = torch.zeros(B, T, C, dtype=torch.float64)
        conf = torch.zeros(B, T, dtype=torch.float64)
        if cfg.shared_stm:
            seqs = [[(x[b, t], cfg.chunk_start + t) for t in range(T) for b in range(B)]]
            rings = [[(state["ring_x"][0, j].double(), int(state["ring_pos"][0, j]), bool(state["ring_valid"][0, j]))
                      for j in range(S)]]
            window = max(1, S // B)
        else:
            seqs = [[(x[b, t], cfg.chunk_start + t) for t in range(T)] for b in range(B)]
            rings = [[(state["ring_x"][b, j].double(), int(state["ring_pos"][b, j]), bool(state["ring_valid"][b, j]))
                      for j in range(S)] for b in range(B)]
            window = S
        for si, (seq, ring) in enumerate(zip(seqs, rings)):
            keys = [(v, p) for v, p, ok in ring if ok] + seq
            for n, (xv, p) in enumerate(seq):
                use = [(v, p - kp) for v, kp in keys if 0 < p - kp <= window]
                if use:
                    q = Wq @ xv
                    lg = torch.stack([q @ (Wk @ v) / math.sqrt(C) + gap * ln_lambda for v, gap in use])
                    a = torch.softmax(lg, 0)
                    value = sum(ai * v for ai, (v, _) in zip(a, use))
                    top = a.max()
                else:
                    value, top = torch.zeros(C, dtype=torch.float64), torch.zeros((), dtype=torch.float64)
                b, t = (n % B, n // B) if cfg.shared_stm else (si, n)
                stm[b, t], conf[b, t] = value, top
        ltm = torch.zeros(B, T, C, dtype=torch.float64)
        rows = [i for i in range(L_SLOTS) if state["ltm_valid"][i]]
        if rows:
            layer64 = CortexLayer(cfg).double()
            layer64.load_state_dict({k: v.double() for k, v in layer.state_dict().items()})
            qc = layer64.compress(x)
            for b in range(B):
                for t in range(T):
                    ds = sorted((float(((qc[b, t] - state["ltm_memory"][i].double()) ** 2).sum()), i) for i in rows)
                    top = ds[:min(cfg.ltm_top_k, len(rows))]
                    w = torch.tensor([1 / (d + 1e-6) for d, _ in top], dtype=torch.float64)
                    w = w / w.sum()
                    vals = layer64.decompress(state["ltm_memory"][[i for _, i in top]].double())
                    ltm[b, t] = (w[:, None] * vals).sum(0)
    return stm, conf, ltm


def layer_fixture(name):
    seed0, cfg, state_fn, also = CASES[name]
    seed = choose_seed(seed0, cfg, state_fn, also)
    layer, state, x, gumbel, upstream = draw(seed, cfg, state_fn)
    out, objective, x_grad, grads = run(layer, state, x, gumbel, upstream)
    margin = margins(layer, state, x, gumbel)
    assert margin >= DECISION_MARGIN

    # independent per-query loop for STM and LTM
    stm_ref, conf_ref, ltm_ref = loop_reference(layer, state, x)
    assert torch.allclose(out["stm"].double(), stm_ref, atol=1e-5), name
    assert torch.allclose(out["conf"].double(), conf_ref, atol=1e-5), name
    assert torch.allclose(out["ltm"].double(), ltm_ref, atol=1e-4, rtol=1e-4), name

    # the same in float64: same decisions, close values and gradients
    layer64 = CortexLayer(cfg).double()
    layer64.load_state_dict({k: v.double() for k, v in layer.state_dict().items()})
    state64 = {k: (v.double() if v.is_floating_point() else v) for k, v in state.items()}
    out64, obj64, xg64, grads64 = run(layer64, state64, x.double(), gumbel.double(), upstream.double())
    assert math.isclose(objective.item(), obj64.item(), rel_tol=1e-5, abs_tol=1e-5), (objective, obj64)
    if cfg.sparsity in ("hard",) or not cfg.training:
        assert torch.equal(out["mask"], out64["mask"].float()), name
    for k in ("out", "stm", "ltm", "gate", "mask"):
        assert torch.allclose(out[k].double(), out64[k], atol=1e-4, rtol=1e-4), (name, k)
    assert torch.allclose(x_grad.double(), xg64, atol=1e-4, rtol=1e-4), name
    for n, g in grads.items():
        assert (g is None) == (grads64[n] is None), (name, n)
        if g is not None:
            assert torch.allclose(g.double(), grads64[n], atol=1e-4, rtol=1e-3), (name, n)

    # gradients that must be absent are, and every other one exists
    names = [n for n, _ in layer.named_parameters()]
    none = expected_no_grad(cfg, state, names)
    for n in names:
        assert (grads[n] is None) == (n in none), (name, n, grads[n])
    zero_valued = sorted(n for n in names if grads[n] is not None and not bool(grads[n].abs().sum() > 0))

    # structural checks of the case
    allowed = out["allowed"]
    empty_rows = ~allowed.any(-1)
    if cfg.shared_stm:
        empty_rows = empty_rows.reshape(T, B).transpose(0, 1)
    assert torch.equal(out["stm"][empty_rows], torch.zeros_like(out["stm"][empty_rows]))
    assert torch.equal(out["conf"][empty_rows], torch.zeros_like(out["conf"][empty_rows]))
    ring_allowed = allowed[..., :cfg.stm_slots].sum(-1)  # ring keys seen per query
    if name in ("toolkit", "toolkit_eval"):
        # position 5 (t = 0) sees every valid ring entry (pos 1..4), position 9 (t = 4) only the chunk (5..8)
        assert ring_allowed[:, 0].tolist() == [4, 3] and ring_allowed[:, 4].tolist() == [0, 0], ring_allowed
        assert ring_allowed[:, 1].tolist() == [3, 2] and allowed[:, 4].sum(-1).tolist() == [4, 4]
        assert not bool(empty_rows.any())
    if name in ("legacy", "empty"):
        assert empty_rows[:, 0].all() and not empty_rows[:, 1:].any()
    if name == "unified":
        assert allowed.shape == (1, T * B, cfg.stm_slots + T * B)
        assert ring_allowed[0, :B].tolist() == [4, 4] and ring_allowed[0, B:2 * B].tolist() == [2, 2]
        assert (allowed.sum(-1) == 4).all(), allowed.sum(-1)  # W = 2 positions × 2 sequences
    if name == "empty":
        assert torch.equal(out["ltm"], torch.zeros_like(out["ltm"]))
    if name == "legacy":
        assert out["ltm_d"].shape[-1] == 2  # k_eff = 2 < k
    if cfg.sparsity == "tokens" and cfg.training:
        assert math.isclose(out["mask"].sum().item(), 1.0, rel_tol=1e-5)

    tensors = {f"param.{k}": v for k, v in layer.state_dict().items()}
    assert sorted(k[len("param."):] for k in tensors) == sorted(names)
    for n in names:
        tensors[f"grad.{n}"] = grads[n] if grads[n] is not None else torch.zeros_like(dict(layer.named_parameters())[n])
    tensors.update({f"state.{k}": v for k, v in state.items()})
    tensors["input.x"] = x
    gumbel_used = cfg.training and cfg.sparsity in ("gumbel", "tokens")
    if gumbel_used:
        tensors["input.gumbel"] = gumbel
    tensors["input.upstream"] = upstream
    tensors["grad.x"] = x_grad
    for k in ("stm", "conf", "ltm", "gate", "mask", "out", "gate_smoothness", "gate_entropy", "sparsity"):
        tensors[f"output.{k}"] = out[k]
    tensors["output.objective"] = objective
    check_tensors(name, tensors)
    metadata = {"config": config_json(cfg), "seed": str(seed), "torch": torch.__version__, "generator": GENERATOR,
                "init": json.dumps(INIT, separators=(",", ":"))}
    fname = f"cortex_{name}.safetensors"
    size = save(fname, tensors, metadata)
    info = dict(file=fname, size=size, seed=seed, config=cfg, margin=margin, none=sorted(none),
                zero_valued=zero_valued, gumbel=gumbel_used, k_eff=None if out["ltm_d"] is None else
                min(cfg.ltm_top_k, out["ltm_d"].shape[-1]), mask_mean=out["mask"].mean().item())
    return tensors, info


def check_tensors(name, tensors):
    for k, v in tensors.items():
        assert v.dtype in (torch.float32, torch.int64, torch.bool), (name, k, v.dtype)
        if v.is_floating_point():
            assert torch.isfinite(v).all(), (name, k)


# ----------------------------------------------------------------------------------------------------
# StabilizedLoss's label-smoothed KL

LOSS_SEED = 6104
LOSS_N, LOSS_V, EPSILON = 12, 7, 0.1
IGNORED_ROWS = (3, 8)


def label_smoothed_kl(logits, targets, eps):
    V = logits.shape[-1]
    keep = targets != -1
    logp = F.log_softmax(logits, dim=-1)
    q = F.one_hot(targets.clamp(min=0), V).to(logits.dtype) * (1 - eps) + eps / V
    kl = (q * (torch.log(q) - logp)).sum(-1)
    return kl[keep].mean(), q


def loss_fixture():
    torch.manual_seed(LOSS_SEED)
    logits = 1.5 * torch.randn(LOSS_N, LOSS_V)
    targets = torch.randint(0, LOSS_V, (LOSS_N,), dtype=torch.int64)
    targets[list(IGNORED_ROWS)] = -1
    a = logits.clone().requires_grad_(True)
    kl, q = label_smoothed_kl(a, targets, EPSILON)
    kl.backward()
    b = logits.clone().requires_grad_(True)
    ce = F.cross_entropy(b, targets, ignore_index=-1, label_smoothing=EPSILON)
    ce.backward()
    assert torch.allclose(a.grad, b.grad, rtol=0, atol=1e-6), (a.grad - b.grad).abs().max()
    keep = targets != -1
    entropy = -(q * torch.log(q)).sum(-1)[keep].mean()  # constant H(q): ce = kl + H(q)
    assert math.isclose(ce.item(), kl.item() + entropy.item(), rel_tol=1e-5), (ce, kl, entropy)
    assert torch.equal(a.grad[~keep], torch.zeros_like(a.grad[~keep]))
    tensors = {"input.logits": logits, "input.targets": targets, "output.kl": kl.detach(),
               "output.ce_smoothed": ce.detach(), "grad.logits_kl": a.grad, "grad.logits_ce": b.grad}
    check_tensors("stabilized_loss", tensors)
    config = {"epsilon": EPSILON, "ignore_index": -1, "n": LOSS_N, "vocab": LOSS_V}
    metadata = {"config": json.dumps(config, separators=(",", ":")), "seed": str(LOSS_SEED),
                "torch": torch.__version__, "generator": GENERATOR}
    fname = "stabilized_loss.safetensors"
    return tensors, dict(file=fname, size=save(fname, tensors, metadata), entropy=entropy.item(),
                         max_grad_diff=(a.grad - b.grad).abs().max().item())


# ----------------------------------------------------------------------------------------------------
# README

def key_table(tensors):
    dtype = {torch.float32: "f32", torch.int64: "i64", torch.bool: "bool"}
    rows = ["| key | dtype | shape |", "| --- | --- | --- |"]
    for k, v in tensors.items():
        rows.append(f"| `{k}` | {dtype[v.dtype]} | {list(v.shape)} |")
    return "\n".join(rows)


def names_list(names):
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def write_readme(results, loss):
    sizes = "\n".join(f"| `{info['file']}` | {info['size']:,} |" for _, info in results.values())
    sizes += f"\n| `{loss[1]['file']}` | {loss[1]['size']:,} |"
    cases = "\n".join(
        f"| `{info['file']}` | {info['seed']} | `{config_json(info['config'])}` |" for _, info in results.values())
    grads = "\n".join(
        f"| `{info['file']}` | {names_list(info['none'])} | {names_list(info['zero_valued'])} | "
        f"{info['margin']:.4f} | {info['k_eff'] if info['k_eff'] is not None else '- (no valid row)'} |"
        for _, info in results.values())
    key_sections = "\n\n".join(f"### `{info['file']}`\n\n{key_table(t)}" for t, info in results.values())
    text = f"""# CortexGPT dual-memory layer reference fixtures (PyTorch)

Generated by `scripts/make_cortex_fixtures.py` with torch {torch.__version__} on CPU, float32; do not edit by
hand. Regenerate (by hand, never in CI) with

    "$(scripts/setup_python_env.sh --print-python)" scripts/make_cortex_fixtures.py

and commit the result. A file is rewritten only when its tensors or metadata change. The Swift tests only read
these files. Every file is below {MAX_FILE_BYTES // 1024} KB. One layer in isolation (CortexGPT's memory layer as
Mnemo's `CortexMemory` implements it: comsa33/brain-inspired-gpt and its stability document); the state (STM ring,
LTM) is an input, consolidation and the ring kept for the next chunk are not covered.

| file | bytes |
| --- | ---: |
{sizes}

## Shapes and notation

B = {B} batch, T = {T} chunk length, C = `n_embd` = 8, S = `stm_slots` = 4, L = {L_SLOTS} LTM slots,
dc = `ltm_dim` = 4, k = `ltm_top_k` = 3. All float32, CPU. LayerNorm: eps {LN_EPS}, elementwise affine (weight and
bias). GELU: exact (erf). `Linear(a → b)` is `z Wᵀ + bias` with W (b, a). Chunk positions `pos_t = chunk_start + t`.

## Parameters (`param.<name>`, PyTorch `state_dict` names)

| name | shape | present |
| --- | --- | --- |
| `stm_query.weight`, `stm_key.weight` | (C, C) | always (Linear, no bias) |
| `stm_decay` | (1) | always; `lnλ = -softplus(stm_decay)` |
| `compress_1.weight`, `.bias` | (C/2, C), (C/2) | always |
| `compress_norm_1.weight`, `.bias` | (C/2) | always |
| `compress_2.weight`, `.bias` | (C/4, C/2), (C/4) | always |
| `compress_norm_2.weight`, `.bias` | (C/4) | always |
| `compress_3.weight`, `.bias` | (dc, C/4), (dc) | always |
| `decompress_1.weight`, `.bias` | (C/4, dc), (C/4) | always |
| `decompress_norm_1.weight`, `.bias` | (C/4) | always |
| `decompress_2.weight`, `.bias` | (C/2, C/4), (C/2) | always |
| `decompress_norm_2.weight`, `.bias` | (C/2) | always |
| `decompress_3.weight`, `.bias` | (C, C/2), (C) | always |
| `gate.weight` | (3, 3C) | always |
| `gate.bias` | (3) | gate `softmax` only |
| `gate_bias`, `gate_temperature` | (3), (1) | gate `stabilized` only |
| `stm_norm.*`, `ltm_norm.*`, `output_norm.*` (weight, bias) | (C) | `memory_norm` true only |
| `memory_scale` | (3) | `memory_norm` true only |
| `importance.weight`, `.bias` | (C, C), (C) | sparsity `gumbel` / `hard` |
| `importance.weight`, `.bias` | (1, C), (1) | sparsity `tokens` |
| `sparsity_temperature` | (1) | sparsity `gumbel` only |

Values (metadata `init`): Linear weights N(0, 0.3), Linear biases N(0, 0.1), LayerNorm weights 1 + N(0, 0.2) and
biases N(0, 0.1), `stm_decay` -3.0 (lnλ = -softplus(-3) ≈ -0.0486), `gate_bias` [0.5, 0.3, 0.2] + N(0, 0.05),
`gate_temperature` 0.8, `sparsity_temperature` 0.7, `memory_scale` 1 + N(0, 0.2). Drawn after
`torch.manual_seed(seed)` in `named_parameters()` order, then `x = randn(B, T, C)`, `ring_x = randn`,
`ltm_memory = 0.7·randn(L, dc)`, `U = rand` (noise shape), `upstream = randn(B, T, C)`.

## State (`state.*`) and inputs (`input.*`)

- `state.ring_x` (B, S, C) f32, `state.ring_pos` (B, S) i64, `state.ring_valid` (B, S) **bool** (safetensors
  `BOOL`, one byte per value): the STM ring of the previous chunk, raw residual vectors and their absolute
  positions. Shared STM (`shared_stm` true): (1, S, C), (1, S), (1, S).
- `state.ltm_memory` (L, dc) f32, `state.ltm_valid` (L) **bool**: the LTM's compressed rows (invalid rows hold
  random values too, which must be ignored).
- `input.x` (B, T, C): the layer's input (the gradient `grad.x` is taken with respect to it).
- `input.gumbel`: Gumbel noise G = -log(-log(U + 1e-8) + 1e-8), U ~ rand, **stored as G itself**; (B, T, C) for
  sparsity `gumbel`, (B, T, 1) for `tokens`; only in files whose sparsity uses noise (training with `gumbel` or
  `tokens`).
- `input.upstream` (B, T, C): fixed random weights of the objective.

Per-file state: `toolkit`, `toolkit_eval`: `ring_pos` = [[1, 2, 3, 4], [3, 4, 1, 2]] (sequence 1 stores its ring
rotated: the order of the slots means nothing, only `ring_pos`), `ring_valid` = [[1, 1, 1, 1], [1, 1, 1, 0]]
(sequence 1's slot 3, position 2, is invalid), `ltm_valid` false at rows 2, 5, 8 (7 valid). `chunk_start` 5, so
positions 5 … 10: position 5 sees ring positions 1 … 4 (3 in sequence 1), position 6 sees ring 2 … 4 and chunk
position 5, position 9 sees only chunk positions 5 … 8. `empty`: the same tensors with `ring_valid` and
`ltm_valid` all false. `legacy`: `ring_valid` all false (position 5 has no key: stm = 0, conf = 0 there),
`ltm_valid` true at rows 3 and 7 only (k_eff = 2). `unified`: shared ring, `ring_pos` = [[3, 3, 4, 4]] (the
previous chunk's last S // B = 2 positions of both sequences, time-major), all valid; `ltm_valid` false at rows
0, 4, 9.

## Forward

STM retrieval, per sequence (`shared_stm` false):

    keys_raw = cat([ring_x, x], dim=1)                  (B, S+T, C)   ring part a constant, x part with gradient
    kpos = cat([ring_pos, pos]);  kvalid = cat([ring_valid, ones])
    q = stm_query(x);  K = stm_key(keys_raw)
    gap[t, s] = pos_t - kpos_s
    allowed = kvalid[s] and 0 < gap <= S
    logits = q Kᵀ / sqrt(C) + gap · lnλ
    A = softmax(masked_fill(logits, ~allowed, {MASK_FILL:g})) · any_s(allowed)    (rows with no allowed key: A = 0)
    stm = A @ keys_raw    (B, T, C)          conf = max_s A    (B, T)  (0 for empty rows)

(The script fills disallowed logits with the finite {MASK_FILL:g}, whose exp underflows to exactly 0, and multiplies
by "any key allowed": equivalent to -inf masking where a row has a key, and no NaN, value or gradient, where it has
none.)

Shared STM (`shared_stm` true, upstream's one buffer for the batch): the queries are flattened time-major,
n = t·B + b (`x.transpose(0, 1).reshape(1, T·B, C)`), with position `pos_t`; the chunk's keys likewise;
ring (1, S, C); window W = max(1, S // B) = 2 instead of S (`0 < gap <= W`; rows of the same position, gap 0,
are not allowed); everything else as above; stm and conf reshaped back with `.reshape(T, B, ·).transpose(0, 1)`.

LTM retrieval:

    qc = compress(x)                     compress(z) = compress_3(LN_cn2(gelu(compress_2(LN_cn1(gelu(compress_1(z)))))))
    over the valid rows m only: d = clamp(||qc||² - 2 qc·mᵀ + ||m||², min=0)
    k_eff = min(k, #valid);  dk, idx = the k_eff smallest d (topk largest=False)
    w = 1 / (dk + 1e-6);  w = w / Σ w
    ltm = Σ_j w_j · decompress(m[idx_j])    (B, T, C); all zeros when no row is valid (no gradient at all then)
    decompress(z) = decompress_3(LN_dn2(gelu(decompress_2(LN_dn1(gelu(decompress_1(z)))))))

Mix:

    stop_gradient: stm, ltm = stm.detach(), ltm.detach()     (values unchanged)
    memory_norm:   c = s0·x, m1 = s1·stm_norm(stm), m2 = s2·ltm_norm(ltm)   (s = memory_scale)
    else:          c = x,    m1 = stm,              m2 = ltm
    u = cat([c, m1, m2], -1)   (B, T, 3C)
    stabilized: g = softmax((gate(u) + gate_bias) / clamp(gate_temperature, min=0.1))   (gate has no bias)
    softmax:    g = softmax(gate(u))                                                     (gate with gate.bias)
    mixed = c + g[..., 1] · (m1 - c) + g[..., 2] · (m2 - c)

Sparsity mask (kk = max(1, int(C · target)) = 2 along features):

    gumbel, training: s = importance(x) (B, T, C); st = (s + G) / clamp(sparsity_temperature, min=0.1)
                      θ = min(topk(st, kk, dim=-1).values, dim=-1, keepdim)   (gradient flows through θ)
                      mask = sigmoid(10 · (st - θ))
    gumbel, eval and hard (training or not): s = importance(x); mask = 1 at the kk largest s of each token, else 0
                      (no gradient through the mask: importance gets none)
    tokens, training: s = importance(x) (B, T, 1); mask = softmax((s + G).flatten() / 0.5 over all B·T).view(B, T, 1)
    tokens, eval:     mask = 1 at the max(1, int(B·T·target)) largest s over all B·T tokens (not in these files)

Output:

    residual_weight w > 0:  out = x + w · mask ⊙ mixed
    else:                   out = x + mask ⊙ (mixed - x)
    memory_norm:            out = output_norm(out + x)

Regularisers (StabilizedLoss's terms) and the objective whose gradients are stored:

    gate_smoothness = mean((g[:, 1:] - g[:, :-1])²)                       over (B, T-1, 3)
    gate_entropy    = 2.0 - H,   H = -mean(g · log(g + 1e-8))             over all B·T·3 elements
    sparsity        = (mean(mask) - sparsity_target)²                    over all elements of the mask
    objective       = sum(out ⊙ upstream) + gate_smoothness + gate_entropy + sparsity

## Outputs (`output.*`) and gradients (`grad.*`)

- `output.stm` (B, T, C), `output.conf` (B, T), `output.ltm` (B, T, C): the **raw** retrievals (before
  stop_gradient, the memory norms and scales).
- `output.gate` (B, T, 3) = g; `output.mask`: (B, T, C) for `gumbel`/`hard`, (B, T, 1) for `tokens`;
  `output.out` (B, T, C); `output.gate_smoothness`, `output.gate_entropy`, `output.sparsity`,
  `output.objective`: scalars, shape ().
- `grad.<name>`: d objective / d parameter for every `param.<name>`, one backward from no gradients;
  `grad.x` (B, T, C): d objective / d `input.x`.
- **Gradients that must be absent** (PyTorch: `grad` None; Swift: nil or all zeros) are stored as zeros: see
  "no gradient" below. They are: with `stop_gradient` every `stm_query.*`, `stm_key.*`, `stm_decay`,
  `compress_*`, `decompress_*` (the retrievals are detached, so x gets no gradient through them either); with a
  hard mask (`hard`, or `gumbel` at evaluation) `importance.*` and `sparsity_temperature`; with no valid LTM row
  every `compress_*` and `decompress_*`. "Zero-valued" lists gradients that exist but are exactly zero (the
  empty file's `ltm_norm.weight`: ltm_norm of an all-zero ltm is its bias, the normalised input is 0).
  `cortex_unified`'s `grad.importance.bias` is mathematically 0 too (the token softmax is shift-invariant) but is
  stored as PyTorch computed it, float32 rounding of order 1e-9: compare it with an absolute tolerance.

## Files

| file | seed | config (metadata `config`) |
| --- | ---: | --- |
{cases}

| file | no gradient (stored as zeros) | zero-valued gradient | smallest top-k margin | LTM k_eff |
| --- | --- | --- | ---: | ---: |
{grads}

Metadata of every layer file: `config` (compact JSON: `gate`, `memory_norm`, `sparsity`, `sparsity_target`,
`residual_weight`, `stop_gradient`, `shared_stm`, `training`, `stm_slots` S, `ltm_top_k` k, `ltm_dim` dc,
`n_embd` C, `chunk_start`), `seed`, `init`, `torch`, `generator`.

- `cortex_toolkit`: the stability document's full toolkit, training (soft Gumbel top-k, 2 of 8 features).
- `cortex_toolkit_eval`: the same parameters, state and inputs (same seed), `training` false: hard top-k of
  `importance(x)`, no noise (no `input.gumbel`).
- `cortex_legacy`: softmax gate, no memory norms, hard top-k in training, empty ring, 2 valid LTM rows (k = 3 →
  k_eff = 2).
- `cortex_unified`: upstream's unified model: softmax gate, token softmax (τ 0.5) with Gumbel noise (B, T, 1),
  `out = x + 0.1 · mask ⊙ mixed`, retrievals detached, one shared ring.
- `cortex_empty`: `cortex_toolkit`'s tensors with no valid ring slot and no valid LTM row: ltm is exactly 0,
  stm and conf are 0 at t = 0.

Every top-k decision is at least {DECISION_MARGIN} from a tie (asserted; seeds are advanced from the base seed
until it holds): sparsity (training `gumbel`: `st`; otherwise `s`) between the kk-th and (kk+1)-th largest value
and between the (kk-1)-th and kk-th (θ's gradient goes to one element), for both the training and the evaluation
configuration of the toolkit draw; LTM between the k-th and (k+1)-th smallest distance to a valid row; and the
smallest distance is at least that far from the clamp at 0. The column above is the smallest such gap. STM and LTM
are also checked against a per-query loop in float64, and the whole pass against a float64 rerun.

{key_sections}

## `stabilized_loss.safetensors`

StabilizedLoss's main term, the label-smoothed KL, next to torch's label-smoothed cross entropy. `logits` =
1.5·randn({LOSS_N}, {LOSS_V}) after `torch.manual_seed({LOSS_SEED})`, `targets` = randint(0, {LOSS_V}) with rows
{list(IGNORED_ROWS)} set to -1 (ignored); ε = {EPSILON}, V = {LOSS_V}:

    q = one_hot(target)·(1 - ε) + ε/V
    kl = mean over non-ignored rows n of Σ_v q (log q - log_softmax(logits_n))
    ce_smoothed = F.cross_entropy(logits, targets, ignore_index=-1, label_smoothing=ε)
                = kl + mean_n H(q),  H(q) = -Σ_v q log q = {loss[1]['entropy']:.6f} (a constant)

`grad.logits_kl` = d kl / d logits, `grad.logits_ce` = d ce_smoothed / d logits: equal (asserted within 1e-6;
largest difference {loss[1]['max_grad_diff']:.2e}), both (softmax - q) / 10 on kept rows and 0 on ignored rows.
Metadata: `config` (`epsilon`, `ignore_index`, `n`, `vocab`), `seed`, `torch`, `generator`.

{key_table(loss[0])}
"""
    path = OUT_DIR / "README.md"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def main():
    torch.set_num_threads(1)  # fewer sources of run-to-run variation in float reductions
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results = {name: layer_fixture(name) for name in CASES}
    loss = loss_fixture()
    write_readme(results, loss)
    for _, info in results.values():
        print(f"{OUT_DIR.relative_to(ROOT)}/{info['file']}: {info['size']:,} bytes  seed {info['seed']}, "
              f"margin {info['margin']:.4f}, no grad {len(info['none'])}, zero-valued {info['zero_valued']}")
    print(f"{OUT_DIR.relative_to(ROOT)}/{loss[1]['file']}: {loss[1]['size']:,} bytes  "
          f"grad diff {loss[1]['max_grad_diff']:.2e}")
    print(f"{(OUT_DIR / 'README.md').relative_to(ROOT)} written")


if __name__ == "__main__":
    main()
