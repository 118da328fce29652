#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for Mnemo's looped / early-exit GPT options into
Tests/MnemoModelsTests/Fixtures/looped/.

What it does
    Builds tiny nanoGPT-style GPTs (the GPT class of scripts/make_gpt_fixtures.py, restated here) extended with
    the options of the github.com/Vervious/gpt fork (train_gpt2_ben.py: looped block, all-layer loss, early exit,
    residual variants):
      share_block       one Block applied n_layer times (state_dict keys transformer.h.0.* only)
      share_final_norm  no transformer.ln_f: the final norm is transformer.h.0.ln_1
      ln_affine         false: every LayerNorm has neither weight nor bias
      residual          standard | parallel | attn_times_mlp | double_attn
      layer_loss        last | all (sum over layers, or mean with layer_loss_mean)
      early_exit        none | confidence | threshold (per-token exit with a frozen evaluator pass)
    runs one forward and backward pass on CPU in float32 on a fixed batch, and stores parameters, inputs,
    per-layer losses, output logits, the objective, every parameter gradient and the residual diagnostics:
      looped_shared_all_sum.safetensors, looped_shared_all_mean.safetensors, looped_parallel.safetensors,
      looped_attn_times_mlp.safetensors, looped_double_attn.safetensors, looped_exit_confidence.safetensors,
      looped_exit_threshold.safetensors, and looped_log1mexp.safetensors (the stable log(1 - e^x) helper);
    plus Tests/MnemoModelsTests/Fixtures/looped/README.md, which documents every key and formula (the contract
    the Swift tests follow). Each file stays below MAX_FILE_BYTES; the script fails otherwise.

What it does not do
    It imports no project code, downloads nothing (every model is randomly initialised with a fixed seed) and
    never runs in CI: the Swift tests only read the committed files.

How to run it (by hand)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_looped_fixtures.py

    A file is rewritten only when its tensors or metadata change (the README only when its text changes), so
    re-running on the same machine leaves git clean. Then commit the regenerated files.

Checks done before writing: the early-exit gradients are computed twice, once with the evaluator pass through
torch.func.functional_call on detached parameters and once the fork's way (requires_grad_(False) on the block,
norm and head during the evaluator pass), and must agree; every exit decision is at least DECISION_MARGIN away
from its boundary (so float32 rounding differences in Swift cannot flip it); the confidence file has exits at
every layer; the threshold file has exits and non-exits at layer 0; log1mexp is compared with 60-digit decimal arithmetic.
"""

import json
import math
import sys
from decimal import Decimal, localcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import save_fixture  # noqa: E402  (rewrite only on change)

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "Tests" / "MnemoModelsTests" / "Fixtures" / "looped"
MAX_FILE_BYTES = 200 * 1024
BATCH = 2  # every model fixture uses a (2, 16) batch of token ids
GENERATOR = "scripts/make_looped_fixtures.py"
NLL_FLOOR = 1e-7  # nll_i is clamped below at this before -log1mexp(-nll_i) (p = 1 would give +inf)
DECISION_MARGIN = 1e-3  # minimum |U - p| (confidence) or |p - threshold| (threshold) of every live decision
# n_embd of the three unshared two-layer files: with n_embd 32, their parameters plus gradients would take
# 230-300 KB (two full blocks, three for double_attn's extra attention), above MAX_FILE_BYTES.
N_EMBD_SHARED = 32
N_EMBD_UNSHARED = 16


# ----------------------------------------------------------------------------------------------------
# nanoGPT-style GPT with the looped options (names and semantics of nanoGPT's model.py; written for this script)

@dataclass
class GPTConfig:
    block_size: int = 16
    vocab_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 32
    dropout: float = 0.0
    bias: bool = True  # False: Linear and LayerNorm layers have no bias
    gelu_approximate: bool = False  # always exact (erf) GELU here
    share_block: bool = False  # one Block, applied n_layer times
    share_final_norm: bool = False  # (only with share_block) final norm = transformer.h.0.ln_1, no ln_f
    ln_affine: bool = True  # False: LayerNorms without weight and bias
    residual: str = "standard"  # standard | parallel | attn_times_mlp | double_attn
    layer_loss: str = "last"  # last | all
    layer_loss_mean: bool = False  # with layer_loss "all": mean over layers instead of sum
    early_exit: str = "none"  # none | confidence | threshold
    exit_threshold: float = 0.0  # used by early_exit "threshold" only
    exit_confidence_weight: float = 0.0  # weight of the confidence loss (early exit only)


class LayerNorm(nn.Module):
    """LayerNorm (eps 1e-5) whose bias can be switched off (bias=False) or which has no weight and no bias at all
    (affine=False)."""

    def __init__(self, ndim, bias, affine=True):
        super().__init__()
        self.ndim = ndim
        self.weight = nn.Parameter(torch.ones(ndim)) if affine else None
        self.bias = nn.Parameter(torch.zeros(ndim)) if affine and bias else None

    def forward(self, x):
        return F.layer_norm(x, (self.ndim,), self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v in one
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hs = C // self.n_head
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=p, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()  # exact (erf) GELU
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.residual = config.residual
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias, affine=config.ln_affine)
        self.attn = CausalSelfAttention(config)
        if config.residual == "double_attn":
            self.attn2 = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias, affine=config.ln_affine)
        self.mlp = MLP(config)

    def parts(self, x):
        """(out, h, ln_1(x)) for the residual x entering the block; h is the intermediate residual."""
        a = self.ln_1(x)
        if self.residual == "standard":
            h = x + self.attn(a)
            out = h + self.mlp(self.ln_2(h))
        elif self.residual == "parallel":
            h = x + self.attn(a)
            out = h + self.mlp(self.ln_2(x))
        elif self.residual == "attn_times_mlp":
            h = x + self.attn(a) * self.mlp(self.ln_2(x))
            out = h
        elif self.residual == "double_attn":
            h = x * self.attn2(a) + self.attn(a)
            out = h + self.mlp(self.ln_2(h))
        else:
            raise ValueError(self.residual)
        return out, h, a

    def forward(self, x):
        return self.parts(x)[0]


def frozen(module, *args):
    """module(*args) with every parameter detached (torch.func.functional_call): no parameter receives gradient
    from this call, but gradient flows into args."""
    params = {n: p.detach() for n, p in module.named_parameters()}
    return torch.func.functional_call(module, params, args)


def fork_frozen(module, *args):
    """The fork's way of the same: requires_grad_(False) during the call, then back to True."""
    module.requires_grad_(False)
    try:
        return module(*args)
    finally:
        module.requires_grad_(True)


def log1mexp(a):
    """log(1 - exp(a)) for a <= 0: log(-expm1(a)) for a > -ln 2, log1p(-exp(a)) otherwise. Each branch is evaluated
    on an input masked to its own side, so the branch not taken cannot produce inf/nan gradients."""
    near = a > -math.log(2.0)
    a_near = torch.where(near, a, torch.full_like(a, -1.0))
    a_far = torch.where(near, torch.full_like(a, -1.0), a)
    return torch.where(near, torch.log(-torch.expm1(a_near)), torch.log1p(-torch.exp(a_far)))


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert not config.share_final_norm or config.share_block
        self.config = config
        n_blocks = 1 if config.share_block else config.n_layer
        modules = dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(n_blocks)]),
        )
        if not config.share_final_norm:
            modules["ln_f"] = LayerNorm(config.n_embd, bias=config.bias, affine=config.ln_affine)
        self.transformer = nn.ModuleDict(modules)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # tied (named_parameters: transformer.wte.weight)
        self.apply(self._init_weights)
        # nanoGPT: std 0.02/sqrt(2 * n_layer) for residual projections; n_layer = number of block applications
        # (as in the fork, also when the block is shared).
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def block(self, i):
        return self.transformer.h[0 if self.config.share_block else i]

    def final_norm(self):
        return self.transformer.h[0].ln_1 if self.config.share_final_norm else self.transformer.ln_f

    def forward(self, idx, targets, exit_uniform=None, evaluator=frozen):
        """Everything the fixture stores (a dict); the objective is out["objective"]."""
        cfg = self.config
        L = cfg.n_layer
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        norm, head = self.final_norm(), self.lm_head

        def ce(logits):
            return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)

        resid_in, resid_norm, resid_mid = [], [], []
        layer_logits = []
        p_max, exit_masks, conf_terms = [], [], []
        running = torch.ones(b, t)
        for i in range(L):
            resid_in.append(x.detach().std(dim=-1).mean())
            x, h, a = self.block(i).parts(x)
            resid_norm.append(a.detach().std(dim=-1).mean())
            resid_mid.append(h.detach().std(dim=-1).mean())
            logits_i = head(norm(x))  # (B, T, V)
            layer_logits.append(logits_i)
            if cfg.early_exit == "none":
                continue
            if i < L - 1:
                z = evaluator(self.block(i + 1), x)  # the next layer's block, frozen
                e = evaluator(head, evaluator(norm, z))
                nll = torch.logsumexp(e, dim=-1) - e.max(dim=-1).values  # (B, T) = -log p'max
                p = torch.exp(-nll)
                if cfg.early_exit == "confidence":
                    decision = (exit_uniform[i] <= p.detach()).float()
                elif cfg.early_exit == "threshold":
                    decision = (p.detach() >= cfg.exit_threshold).float()
                else:
                    raise ValueError(cfg.early_exit)
                c = -log1mexp(-nll.clamp(min=NLL_FLOOR))  # -log(1 - p)
                conf_terms.append((c * running).mean())  # running = mask before this layer's decision
                exited = running * decision
                p_max.append(p)
            else:
                exited = running
            exit_masks.append(exited)
            running = running * (1 - exited)

        resid_out = x.detach().std(dim=-1).mean()
        layer_losses = torch.stack([ce(lg) for lg in layer_logits])
        out = {}
        if cfg.early_exit == "none":
            logits = layer_logits[-1]
            loss_task = ce(logits)
            if cfg.layer_loss == "last":
                objective = loss_task
            elif cfg.layer_loss == "all":
                objective = layer_losses.mean() if cfg.layer_loss_mean else layer_losses.sum()
            else:
                raise ValueError(cfg.layer_loss)
        else:
            assert cfg.layer_loss == "last"
            logits = sum(m[..., None] * lg for m, lg in zip(exit_masks, layer_logits))
            loss_task = ce(logits)
            loss_confidence = torch.stack(conf_terms).sum()
            objective = loss_task + cfg.exit_confidence_weight * loss_confidence
            out.update(exit_masks=torch.stack(exit_masks), p_max=torch.stack(p_max).detach(),
                       loss_confidence=loss_confidence)
        out.update(logits=logits, loss_task=loss_task, layer_losses=layer_losses, objective=objective,
                   resid_in=torch.stack(resid_in), resid_mid=torch.stack(resid_mid),
                   resid_norm=torch.stack(resid_norm), resid_out=resid_out)
        return out


# ----------------------------------------------------------------------------------------------------
# Writing files

def save(name, tensors, metadata):
    """Writes OUT_DIR/name only when its tensors or metadata change (fixtures_safetensors.save_fixture)."""
    return save_fixture(OUT_DIR / name, tensors, metadata, MAX_FILE_BYTES)


def config_json(config):
    d = asdict(config)
    d["dropout"] = 0
    return json.dumps(d, separators=(",", ":"))


# ----------------------------------------------------------------------------------------------------
# Model fixtures

# name -> (seed, config overrides, init overrides)
#   init "wte_std": std of the tied wte/lm_head init instead of 0.02 (early-exit files: p'max spread over (0, 1)).
CASES = {
    "shared_all_sum": (5101, dict(n_layer=3, share_block=True, share_final_norm=True, ln_affine=False, bias=False,
                                  residual="standard", layer_loss="all"), {}),
    "shared_all_mean": (5102, dict(n_layer=3, share_block=True, share_final_norm=False, ln_affine=True, bias=True,
                                   residual="standard", layer_loss="all", layer_loss_mean=True), {}),
    "parallel": (5103, dict(n_layer=2, n_embd=N_EMBD_UNSHARED, bias=True, residual="parallel"), {}),
    "attn_times_mlp": (5104, dict(n_layer=2, n_embd=N_EMBD_UNSHARED, bias=True, residual="attn_times_mlp"), {}),
    "double_attn": (5105, dict(n_layer=2, n_embd=N_EMBD_UNSHARED, bias=True, residual="double_attn"), {}),
    "exit_confidence": (5106, dict(n_layer=3, share_block=True, share_final_norm=True, ln_affine=True, bias=False,
                                   early_exit="confidence", exit_confidence_weight=0.5), dict(wte_std=0.15)),
    "exit_threshold": (5107, dict(n_layer=3, share_block=True, share_final_norm=True, ln_affine=True, bias=False,
                                  early_exit="threshold", exit_confidence_weight=0.25), dict(wte_std=0.15)),
}


def perturb(model, gen_std=(0.1, 0.1, 0.02)):
    """Moves LayerNorm weights/biases and Linear biases off their init values 1 and 0 (N(0, 0.1), N(0, 0.1),
    N(0, 0.02) noise), so a Swift model that uses the wrong norm or drops a bias fails the forward comparison."""
    ln_w, ln_b, lin_b = gen_std
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, LayerNorm):
                if m.weight is not None:
                    m.weight.add_(torch.randn_like(m.weight) * ln_w)
                if m.bias is not None:
                    m.bias.add_(torch.randn_like(m.bias) * ln_b)
            elif isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.add_(torch.randn_like(m.bias) * lin_b)


def build(name):
    seed, overrides, init = CASES[name]
    config = GPTConfig(**{"n_embd": N_EMBD_SHARED, **overrides})
    torch.manual_seed(seed)
    model = GPT(config)
    if "wte_std" in init:
        with torch.no_grad():
            nn.init.normal_(model.transformer.wte.weight, mean=0.0, std=init["wte_std"])
    perturb(model)
    model.train()  # dropout is 0
    idx = torch.randint(0, config.vocab_size, (BATCH, config.block_size), dtype=torch.int64)
    targets = torch.randint(0, config.vocab_size, (BATCH, config.block_size), dtype=torch.int64)
    targets[0, 3] = -1
    exit_uniform = None
    if config.early_exit != "none":
        # uniform in [0, 1); asserted to be > 0 below.
        exit_uniform = torch.rand(config.n_layer - 1, BATCH, config.block_size)
        assert (exit_uniform > 0).all()
    return seed, config, init, model, idx, targets, exit_uniform


def run(model, idx, targets, exit_uniform, evaluator):
    model.zero_grad(set_to_none=True)
    out = model(idx, targets, exit_uniform, evaluator)
    out["objective"].backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    return out, grads


def choose_threshold(p):
    """A threshold strictly between two neighbouring sorted values of p[0] (p = p'max, (L-1, B, T)) in its middle
    half, so that layer 0 has exits and non-exits, rounded to 4 decimals. Among those whose every live decision is
    at least DECISION_MARGIN away, prefer one with exits at every layer i < L-1, then the largest margin."""
    s = torch.sort(p[0].flatten()).values.tolist()
    n = len(s)
    best = None
    for k in range(n // 4, 3 * n // 4):
        t = round((s[k] + s[k + 1]) / 2, 4)
        if not (s[k] < t < s[k + 1]):
            continue
        running = torch.ones_like(p[0])
        exits, gaps = [], []
        for i in range(p.shape[0]):
            live = running.bool()
            gaps.append((p[i] - t)[live].abs())
            exited = running * (p[i] >= t).float()
            exits.append(int(exited.sum()))
            running = running * (1 - exited)
        margin = torch.cat(gaps).min().item()
        if margin < DECISION_MARGIN:
            continue
        score = (all(e > 0 for e in exits), margin)
        if best is None or score > best[0]:
            best = (score, t)
    assert best is not None, "no threshold with a large enough margin"
    return best[1]


def model_fixture(name):
    seed, config, init, model, idx, targets, exit_uniform = build(name)
    if config.early_exit == "threshold":
        # p'max does not depend on the threshold: choose it from a first pass.
        with torch.no_grad():
            probe = model(idx, targets, exit_uniform)
        config.exit_threshold = choose_threshold(probe["p_max"])

    out, grads = run(model, idx, targets, exit_uniform, frozen)
    L = config.n_layer
    assert out["logits"].shape == (BATCH, config.block_size, config.vocab_size)
    assert out["layer_losses"].shape == (L,)
    if config.early_exit == "none":
        assert torch.equal(out["logits"].detach(), model(idx, targets)["logits"].detach())
        if config.layer_loss == "last":
            assert torch.equal(out["objective"], out["loss_task"])
    else:
        # The same gradients the fork's way (requires_grad_(False) on the evaluator's modules).
        out2, grads2 = run(model, idx, targets, exit_uniform, fork_frozen)
        assert torch.equal(out["objective"], out2["objective"])
        for n in grads:
            assert torch.allclose(grads[n], grads2[n], rtol=1e-6, atol=1e-8), n
        masks, p = out["exit_masks"], out["p_max"]
        assert torch.equal(masks.sum(0), torch.ones(BATCH, config.block_size)), "each token exits exactly once"
        running = torch.ones(BATCH, config.block_size)
        margins = []
        for i in range(L - 1):
            live = running.bool()
            if config.early_exit == "confidence":
                margins.append((exit_uniform[i] - p[i])[live].abs())
            else:
                margins.append((p[i] - config.exit_threshold)[live].abs())
            running = running * (1 - masks[i])
        margin = torch.cat(margins).min().item()
        assert margin >= DECISION_MARGIN, f"{name}: a decision is within {margin} of its boundary"
        per_layer = masks.sum(dim=(1, 2)).tolist()
        if config.early_exit == "confidence":
            assert all(c > 0 for c in per_layer), f"{name}: exits per layer {per_layer}"
        else:
            assert 0 < per_layer[0] < BATCH * config.block_size, f"{name}: exits per layer {per_layer}"
        # The confidence loss the explicit way: -log(1 - p) (p from the clamped nll) times the running mask.
        running = torch.ones(BATCH, config.block_size)
        check = 0.0
        for i in range(L - 1):
            pc = torch.exp(-(-torch.log(p[i].double())).clamp(min=NLL_FLOOR))
            check += (-torch.log1p(-pc) * running).mean()
            running = running * (1 - masks[i])
        assert math.isclose(check.item(), out["loss_confidence"].item(), rel_tol=1e-4), (check, out["loss_confidence"])

    tensors = {f"param.{k}": v for k, v in model.state_dict().items()}
    assert torch.equal(tensors["param.lm_head.weight"], tensors["param.transformer.wte.weight"])
    if config.share_block:
        assert not any(k.startswith("param.transformer.h.1.") for k in tensors)
    if config.share_final_norm or not config.ln_affine:
        assert not any(k.startswith("param.transformer.ln_f") for k in tensors)
    tensors.update(idx=idx, targets=targets)
    names = [n for n, _ in model.named_parameters()]
    assert "lm_head.weight" not in names and "transformer.wte.weight" in names
    for n in names:
        tensors[f"grad.{n}"] = grads[n]
    keys = ["logits", "loss_task", "layer_losses", "objective", "resid_in", "resid_mid", "resid_norm", "resid_out"]
    for k in keys:
        tensors[k] = out[k]
    if config.early_exit != "none":
        tensors["exit_uniform"] = exit_uniform
        for k in ("exit_masks", "p_max", "loss_confidence"):
            tensors[k] = out[k]
    for k, v in tensors.items():
        assert v.dtype in (torch.float32, torch.int64), (k, v.dtype)
        assert v.dtype == torch.int64 or torch.isfinite(v).all(), k
    metadata = {
        "config": config_json(config),
        "model": "nanoGPT-style GPT with looped options (scripts/make_looped_fixtures.py)",
        "seed": str(seed),
        "torch": torch.__version__,
        "generator": GENERATOR,
    }
    if init:
        metadata["init"] = json.dumps(init, separators=(",", ":"))
    fname = f"looped_{name}.safetensors"
    size = save(fname, tensors, metadata)
    info = {"seed": seed, "config": config, "init": init, "size": size, "file": fname}
    if config.early_exit != "none":
        info["exits_per_layer"] = [int(c) for c in out["exit_masks"].sum(dim=(1, 2)).tolist()]
        info["margin"] = margin
    return tensors, info


# ----------------------------------------------------------------------------------------------------
# log1mexp fixture

LOG1MEXP_X = [-1e-7, -1e-4, -0.1, -0.6931, -0.7, -1.0, -5.0, -20.0, -60.0]


def log1mexp_fixture():
    x32 = torch.tensor(LOG1MEXP_X, dtype=torch.float32)
    x = x32.double().requires_grad_(True)  # the float32 values, computed on in float64
    y = log1mexp(x)
    y.sum().backward()
    with localcontext() as ctx:  # reference in 60-digit decimal arithmetic
        ctx.prec = 60
        for xi, yi, gi in zip(x.tolist(), y.tolist(), x.grad.tolist()):
            ex = Decimal(xi).exp()
            assert math.isclose(yi, float((1 - ex).ln()), rel_tol=1e-12), (xi, yi)
            assert math.isclose(gi, float(-ex / (1 - ex)), rel_tol=1e-12), (xi, gi)  # d/dx log(1-e^x)
    tensors = {"x": x32, "y": y.detach().float(), "grad": x.grad.float()}
    metadata = {"torch": torch.__version__, "generator": GENERATOR,
                "formula": "y = log(1 - exp(x)) = log(-expm1(x)) if x > -ln 2 else log1p(-exp(x)); grad = dy/dx"}
    fname = "looped_log1mexp.safetensors"
    return tensors, {"file": fname, "size": save(fname, tensors, metadata)}


# ----------------------------------------------------------------------------------------------------
# README

def key_table(tensors):
    dtype = {torch.float32: "f32", torch.int64: "i64"}
    rows = ["| key | dtype | shape |", "| --- | --- | --- |"]
    for k, v in tensors.items():
        rows.append(f"| `{k}` | {dtype[v.dtype]} | {list(v.shape)} |")
    return "\n".join(rows)


def fmt_config(config):
    return f"`{config_json(config)}`"


def write_readme(results, log1mexp_result):
    files = [(info["file"], info["size"]) for _, info in results.values()] + [
        (log1mexp_result[1]["file"], log1mexp_result[1]["size"])]
    sizes = "\n".join(f"| `{n}` | {s:,} |" for n, s in files)
    cases = "\n".join(
        f"| `{info['file']}` | {info['seed']} | {json.dumps(info['init']) if info['init'] else 'none'} | "
        f"{fmt_config(info['config'])} |" for _, info in results.values())
    conf_info = results["exit_confidence"][1]
    thr_info = results["exit_threshold"][1]
    key_sections = "\n\n".join(f"### `{info['file']}`\n\n{key_table(t)}" for t, info in results.values())
    text = f"""# Looped / early-exit GPT reference fixtures (PyTorch)

Generated by `scripts/make_looped_fixtures.py` with torch {torch.__version__} on CPU, float32; do not edit by
hand. Regenerate (by hand, never in CI) with

    "$(scripts/setup_python_env.sh --print-python)" scripts/make_looped_fixtures.py

and commit the result. A file is rewritten only when its tensors or metadata change. The Swift tests only read
these files. Every file is below {MAX_FILE_BYTES // 1024} KB. The options come from the experiments of the
github.com/Vervious/gpt fork (`train_gpt2_ben.py`, Dec 2024 - Jan 2025), restated below as the contract (where
the fork differs, this README is the contract: e.g. the fork's early exit draws `E = -log U` and continues iff
`E < nll`, the same event as `U <= p` here, but it draws U itself; here U is an input).

| file | bytes |
| --- | ---: |
{sizes}

## The model

nanoGPT's GPT exactly as in `../README.md` (`gpt_nanogpt.safetensors`): `x = wte(idx) + wpe(arange(T))`,
pre-LN blocks, `q, k, v = c_attn(x).split(n_embd, 2)`, causal `F.scaled_dot_product_attention` (scale
1/sqrt(head size)), `c_proj`; MLP `c_fc` (C → 4C), exact (erf) GELU, `c_proj`; LayerNorm eps 1e-5; `lm_head`
(no bias) tied to `wte`; dropout 0. Plus these options (metadata `config` keys):

- `share_block`: `transformer.h` holds **one** Block, applied `n_layer` times; state_dict keys
  `transformer.h.0.*` only. `block_i` below is then that one block for every i.
- `share_final_norm` (only with `share_block`): there is no `transformer.ln_f`; the final norm `ln_f` below is
  `transformer.h.0.ln_1` (the same module, same parameters).
- `ln_affine`: false = every LayerNorm (`ln_1`, `ln_2`, `ln_f`) is `F.layer_norm(x, (C,), None, None, 1e-5)`,
  no weight and no bias, so no state_dict keys for them. True = weight, plus a bias when `bias` is true.
- `residual`, with `x` the residual entering the block and `attn`, `attn2`, `mlp`, `ln_1`, `ln_2` the block's:
  - `standard`:       `h = x + attn(ln_1(x))`; `out = h + mlp(ln_2(h))`
  - `parallel`:       `h = x + attn(ln_1(x))`; `out = h + mlp(ln_2(x))`
  - `attn_times_mlp`: `h = x + attn(ln_1(x)) * mlp(ln_2(x))`; `out = h`
  - `double_attn`:    `h = x * attn2(ln_1(x)) + attn(ln_1(x))`; `out = h + mlp(ln_2(h))` (`attn2` is a second
    CausalSelfAttention with its own parameters, keys `transformer.h.N.attn2.*`; products are elementwise)
- Layers (i = 0 … L-1, L = `n_layer`): `r_{{-1}} = wte(idx) + wpe(arange(T))`, `r_i = block_i(r_{{i-1}})`;
  "layer i" means the residual `r_i` **after** block application i, and `logits_i = lm_head(ln_f(r_i))`
  (B, T, V), with `ln_f` the final norm (`transformer.h.0.ln_1` under `share_final_norm`). Without early exit
  the model's output `logits` = `logits_{{L-1}}`.
- `CE(l)` = `F.cross_entropy(l.view(-1, V), targets.view(-1), ignore_index=-1)`: the mean over the
  non-ignored positions (`targets[0, 3] = -1` in every file, so 31 of the 32 positions count).
  `layer_losses[i] = CE(logits_i)`.
- `layer_loss`: `"last"`: objective = `CE(logits_{{L-1}})` (= `loss_task`). `"all"`: objective =
  `sum_i layer_losses[i]`, or `mean_i layer_losses[i]` with `layer_loss_mean` true.

### Early exit (`early_exit` = `"confidence"` or `"threshold"`)

Always with `layer_loss` `"last"` in these fixtures. For every layer i < L-1, after computing `r_i`:

1. Evaluator pass with **frozen parameters** (here `torch.func.functional_call` with detached parameters; the
   script checks that the fork's `requires_grad_(False)` way gives the same gradients): `z = block_{{i+1}}(r_i)`
   (the next application's block; with `share_block` the one block), `e = lm_head(ln_f(z))`, again with frozen
   norm and head. No parameter gets gradient from this pass; gradient flows into `r_i` (through `z`).
2. `nll_i = logsumexp(e, -1) - max(e, -1)` (B, T) = -log p'max; `p_i = exp(-nll_i)` (stored as `p_max[i]`,
   detached).
3. Decision (detached, float 0/1): `"confidence"`: exit iff `exit_uniform[i] <= p_i`; `"threshold"`: exit iff
   `p_i >= exit_threshold`.
4. `running` starts all ones (B, T). `exited_i = running * decision_i` for i < L-1, and
   `exited_{{L-1}} = running` (everything left exits at the last layer); after each layer
   `running = running * (1 - exited_i)`. `exit_masks[i] = exited_i` (float 0/1, no gradient); every token
   exits exactly once (the masks sum to ones).
5. Confidence term for i < L-1: `c_i = -log(1 - p_i) = -log1mexp(-max(nll_i, {NLL_FLOOR}))`, with **nll_i clamped
   below at {NLL_FLOOR}** (`torch.clamp(min=...)`, gradient 0 where clamped) so that p_i = 1 (nll 0 in float32)
   gives a finite value; `log1mexp(a) = log(-expm1(a))` if `a > -ln 2` else `log1p(-exp(a))`.
   `loss_confidence = sum_{{i<L-1}} mean over all B·T tokens of (c_i * running_before_i)`, where
   `running_before_i` is the running mask before layer i's decision (all ones for i = 0). The mean is over
   all 32 tokens (ignored targets included, since it does not use targets). Gradient flows through `c_i` into
   `nll_i` → `e` → `z` → `r_i` (not into the frozen parameters directly).

Outputs: `logits = sum_i exit_masks[i][..., None] * logits_i` (each token's logits at its exit layer),
`loss_task = CE(logits)`, `objective = loss_task + exit_confidence_weight * loss_confidence`.
`layer_losses[i] = CE(logits_i)` for every layer is still stored (not part of the objective).

### Residual diagnostics (no gradient)

In the same forward, with `std` = `torch.std(dim=-1)` (correction 1, over the C channels) followed by
`.mean()` over (B, T): for every application i, with `x` the residual entering it: `resid_in[i] = std(x)`,
`resid_norm[i] = std(ln_1(x))` (the block's own `ln_1`, with its affine parameters if any), `resid_mid[i] =
std(h)` with `h` as in the residual formulas (for `attn_times_mlp`, `h = out`); `resid_out = std(r_{{L-1}})`,
the residual after the last block, before the final norm. Shapes (L,) and ().

## Initialisation and inputs

nanoGPT's init (normal(0, 0.02) for Linear and Embedding weights, zero biases, normal(0, 0.02/sqrt(2·n_layer))
for every `c_proj.weight` including `attn2.c_proj.weight`, with `n_layer` the number of block applications even
when the block is shared), then:

- **LayerNorm weights and all biases perturbed**: LayerNorm weight += N(0, 0.1), LayerNorm bias += N(0, 0.1),
  Linear bias += N(0, 0.02), so that using the wrong norm (ln_1 vs ln_2 vs ln_f) or dropping a bias changes the
  output. The values are what matters: the Swift tests load them.
- Early-exit files: `wte` (= `lm_head`) re-initialised with std **0.15** (metadata `init`), so that p'max spreads
  over (0, 1) instead of sitting near 1/64.
- After `torch.manual_seed(seed)` and model construction: `idx = torch.randint(0, 64, (2, 16))`, `targets` the
  same, then `targets[0, 3] = -1`; early-exit files then draw `exit_uniform = torch.rand(L-1, 2, 16)` (in
  [0, 1); all > 0 here). The threshold file stores `exit_uniform` too (unused).
- `exit_confidence`: exits per layer {conf_info['exits_per_layer']} (of 32 tokens); every live decision has
  `|exit_uniform[i] - p_i| >= {conf_info['margin']:.4f}`.
- `exit_threshold`: `exit_threshold = {thr_info['config'].exit_threshold}`, chosen by the script between two
  neighbouring sorted values of `p_0` in its middle half (rounded to 4 decimals), so that layer 0 has exits and
  non-exits; among those, one with exits at layer 1 too if any, then the one farthest from every live p_i; exits per layer
  {thr_info['exits_per_layer']}; every live decision has `|p_i - exit_threshold| >= {thr_info['margin']:.4f}`.
  No threshold (nor any of 30 other seeds tried) gives exits at layer 1 here: the tiny blocks change the
  residual by ~4 %, so p_1 ≈ p_0 in the same order, and a token below the threshold at layer 0 stays below.
- Every live decision is at least {DECISION_MARGIN} from its boundary (asserted), so float32 rounding
  differences cannot flip it.

| file | seed | init | config (metadata `config`) |
| --- | ---: | --- | --- |
{cases}

The three unshared files (`parallel`, `attn_times_mlp`, `double_attn`) use `n_embd` {N_EMBD_UNSHARED} (head size
4): with n_embd 32 their two full blocks of parameters plus gradients would exceed {MAX_FILE_BYTES // 1024} KB.
Config keys not relevant to a file keep their defaults (`exit_threshold` 0 and `exit_confidence_weight` 0
without early exit; `exit_threshold` 0 in the confidence file).

## Keys

- `idx`, `targets`: int64 (2, 16).
- `param.<key>`: every entry of `model.state_dict()`. `lm_head.weight` and `transformer.wte.weight` are one
  tensor, stored under both keys.
- `grad.<name>`: gradient of `objective` for every entry of `model.named_parameters()` after one
  `objective.backward()` from no gradients; the tied weight once, as `grad.transformer.wte.weight` (sum of
  the embedding and every head use). A shared block's gradient is the sum over its applications.
- `logits` (2, 16, 64), `loss_task` (), `layer_losses` (L,), `objective` (), `resid_in`, `resid_mid`,
  `resid_norm` (L,), `resid_out` ().
- Early-exit files also: `exit_uniform` (L-1, 2, 16), `exit_masks` (L, 2, 16) float 0/1, `p_max`
  (L-1, 2, 16), `loss_confidence` ().
- Metadata: `config` (compact JSON of every key above; nanoGPT names; `gelu_approximate` false, `dropout` 0),
  `seed`, `init` (early-exit files), `model`, `torch`, `generator`.

{key_sections}

## `looped_log1mexp.safetensors`

`x` = {LOG1MEXP_X} (float32); `y = log1mexp(x) = log(1 - exp(x))` and `grad = d(sum y)/dx = -1/expm1(-x)`,
computed in float64 from the float32 values of `x` (with the two-branch formula: `log(-expm1(x))` if
`x > -ln 2`, else `log1p(-exp(x))`; -0.6931 takes the first branch, -0.7 the second), checked against
60-digit `decimal` arithmetic (relative 1e-12), stored as float32. Metadata: `formula`, `torch`, `generator`.

{key_table(log1mexp_result[0])}
"""
    path = OUT_DIR / "README.md"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def main():
    torch.set_num_threads(1)  # fewer sources of run-to-run variation in float reductions
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results = {name: model_fixture(name) for name in CASES}
    lm = log1mexp_fixture()
    write_readme(results, lm)
    for _, info in list(results.values()) + [lm]:
        extra = ""
        if "exits_per_layer" in info:
            extra = f"  exits per layer {info['exits_per_layer']}, margin {info['margin']:.4f}"
            if info["config"].early_exit == "threshold":
                extra += f", exit_threshold {info['config'].exit_threshold}"
        print(f"{OUT_DIR.relative_to(ROOT)}/{info['file']}: {info['size']:,} bytes{extra}")
    print(f"{(OUT_DIR / 'README.md').relative_to(ROOT)} written")


if __name__ == "__main__":
    main()
