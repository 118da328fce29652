#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for Mnemo's GPT models into Tests/MnemoModelsTests/Fixtures/.

What it does
    Builds three tiny GPTs on CPU in float32 with fixed seeds, runs one forward and backward pass on a
    fixed batch, and stores parameters, inputs, logits, loss and every parameter gradient:
      gpt_nanogpt.safetensors         a nanoGPT-style GPT (defined below), bias=True
      gpt_nanogpt_nobias.safetensors  the same with bias=False (LayerNorm and Linear without bias)
      gpt2_hf.safetensors             transformers.GPT2LMHeadModel with a tiny GPT2Config
    and Tests/MnemoModelsTests/Fixtures/README.md, which documents every key (the contract the Swift tests
    follow). The README's section written by scripts/make_minimind_fixtures.py (between its marker lines)
    is kept as it is. Each file stays below MAX_FILE_BYTES; the script fails otherwise.

What it does not do
    It does not download weights (every model is randomly initialised) and it never runs in CI: the
    Swift tests only read the committed files.

How to run it (by hand)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_gpt_fixtures.py

    A file is rewritten only when its tensors or metadata change, so re-running on the same machine
    leaves git clean. Then commit the regenerated files.

The GPT class below reproduces the semantics of nanoGPT's model.py (karpathy/nanoGPT) with the same
class and parameter names, so its state_dict keys are nanoGPT's: pre-LayerNorm blocks, causal
scaled_dot_product_attention, exact GELU, a tied lm_head, and nanoGPT's initialisation.
"""

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import save_fixture  # noqa: E402  (rewrite only on change)

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "Tests" / "MnemoModelsTests" / "Fixtures"
MAX_FILE_BYTES = 300 * 1024
BATCH = 2  # every fixture uses a (2, 16) batch of token ids
GENERATOR = "scripts/make_gpt_fixtures.py"
# The README section of scripts/make_minimind_fixtures.py, kept when this script rewrites the README.
OTHER_SECTION = ("<!-- BEGIN scripts/make_minimind_fixtures.py", "<!-- END scripts/make_minimind_fixtures.py -->")


# ----------------------------------------------------------------------------------------------------
# nanoGPT-style GPT (same names and semantics as nanoGPT's model.py; written for this script)

@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True  # False: Linear and LayerNorm layers have no bias


class LayerNorm(nn.Module):
    """LayerNorm whose bias can be switched off (nn.LayerNorm always has one); eps 1e-5."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


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
        B, T, C = x.size()  # batch, time, channels (n_embd)
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # each (B, T, C)
        hs = C // self.n_head
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=p, is_causal=True)  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again: (B, T, C)
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
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))  # pre-LN residual blocks
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Weight tying: one tensor serves as token embedding and output projection. state_dict lists it
        # twice (transformer.wte.weight and lm_head.weight); named_parameters lists it once, as
        # transformer.wte.weight, because transformer is registered before lm_head.
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        # Residual projections get std 0.02/sqrt(2 * n_layer) (GPT-2 paper: two residual adds per block).
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

    def forward(self, idx, targets=None):
        b, t = idx.size()
        assert t <= self.config.block_size, f"sequence of length {t} > block size {self.config.block_size}"
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)  # (t)
        tok_emb = self.transformer.wte(idx)  # (b, t, n_embd)
        pos_emb = self.transformer.wpe(pos)  # (t, n_embd)
        x = self.transformer.drop(tok_emb + pos_emb)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)  # (b, t, vocab_size)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        else:
            logits = self.lm_head(x[:, [-1], :])  # inference: last position only, (b, 1, vocab_size)
            loss = None
        return logits, loss


# ----------------------------------------------------------------------------------------------------
# Writing files

def save(name, tensors, metadata):
    """Writes OUT_DIR/name only when its tensors or metadata change (fixtures_safetensors.save_fixture)."""
    return save_fixture(OUT_DIR / name, tensors, metadata, MAX_FILE_BYTES)


def nanogpt_fixture(name, bias, seed):
    config = GPTConfig(vocab_size=65, block_size=16, n_layer=2, n_head=2, n_embd=32, bias=bias, dropout=0.0)
    torch.manual_seed(seed)
    model = GPT(config)
    model.train()  # dropout is 0, so train and eval modes compute the same thing
    idx = torch.randint(0, config.vocab_size, (BATCH, config.block_size), dtype=torch.int64)
    targets = torch.randint(0, config.vocab_size, (BATCH, config.block_size), dtype=torch.int64)

    logits, loss = model(idx, targets)
    loss.backward()
    with torch.no_grad():
        logits_last, none = model(idx)
    assert none is None and logits_last.shape == (BATCH, 1, config.vocab_size)

    tensors = {f"param.{k}": v for k, v in model.state_dict().items()}
    assert torch.equal(tensors["param.lm_head.weight"], tensors["param.transformer.wte.weight"])
    tensors.update(idx=idx, targets=targets, logits=logits, loss=loss, logits_last=logits_last)
    names = [n for n, _ in model.named_parameters()]
    assert "lm_head.weight" not in names and "transformer.wte.weight" in names
    for n, p in model.named_parameters():
        tensors[f"grad.{n}"] = p.grad
    metadata = {
        "config": json.dumps({"vocab_size": config.vocab_size, "block_size": config.block_size,
                              "n_layer": config.n_layer, "n_head": config.n_head, "n_embd": config.n_embd,
                              "bias": config.bias, "dropout": 0}, separators=(",", ":")),
        "model": "nanoGPT-style GPT (scripts/make_gpt_fixtures.py)",
        "seed": str(seed),
        "torch": torch.__version__,
        "generator": GENERATOR,
    }
    size = save(name, tensors, metadata)
    return size, tensors


def hf_gpt2_fixture(name, seed):
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(vocab_size=100, n_positions=16, n_embd=32, n_layer=2, n_head=2,
                        activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        bos_token_id=99, eos_token_id=99)  # the default 50256 lies outside a 100-token vocab
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    model.loss_type = "ForCausalLM"  # the loss HF falls back to for this class anyway; naming it silences a warning
    model.train()
    assert model.lm_head.weight is model.transformer.wte.weight
    idx = torch.randint(0, config.vocab_size, (BATCH, config.n_positions), dtype=torch.int64)

    out = model(input_ids=idx, labels=idx)
    out.loss.backward()
    # HF's causal-LM loss: logits at position t predict labels at t+1; mean over the B*(T-1) pairs.
    check = F.cross_entropy(out.logits[:, :-1].reshape(-1, config.vocab_size), idx[:, 1:].reshape(-1))
    assert torch.allclose(check, out.loss, rtol=1e-6, atol=1e-6), (check, out.loss)

    state = model.state_dict()
    buffers = [n for n, _ in model.named_buffers()]
    tensors = {f"param.{k}": v for k, v in state.items()}
    tensors.update(idx=idx, labels=idx, logits=out.logits, loss=out.loss)
    for n, p in model.named_parameters():
        tensors[f"grad.{n}"] = p.grad
    metadata = {
        "config": json.dumps({"vocab_size": config.vocab_size, "n_positions": config.n_positions,
                              "n_embd": config.n_embd, "n_layer": config.n_layer, "n_head": config.n_head,
                              "activation_function": config.activation_function,
                              "layer_norm_epsilon": config.layer_norm_epsilon,
                              "resid_pdrop": 0, "embd_pdrop": 0, "attn_pdrop": 0,
                              "tie_word_embeddings": bool(config.tie_word_embeddings)}, separators=(",", ":")),
        "model": "transformers.GPT2LMHeadModel",
        "attn_implementation": str(model.config._attn_implementation),
        "seed": str(seed),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "generator": GENERATOR,
    }
    size = save(name, tensors, metadata)
    info = {"state_keys": list(state), "buffers": buffers, "transformers": transformers.__version__,
            "attn_implementation": model.config._attn_implementation}
    return size, tensors, info


# ----------------------------------------------------------------------------------------------------
# README

def key_table(tensors):
    dtype = {torch.float32: "f32", torch.int64: "i64"}
    rows = ["| key | dtype | shape |", "| --- | --- | --- |"]
    for k, v in tensors.items():
        rows.append(f"| `{k}` | {dtype[v.dtype]} | {list(v.shape)} |")
    return "\n".join(rows)


def write_readme(files, nano, nano_nobias, hf, hf_info):
    hf_state, hf_buffers = hf_info["state_keys"], hf_info["buffers"]
    tf_version, attn_impl = hf_info["transformers"], hf_info["attn_implementation"]
    conv1d = [k for k in hf_state if k.endswith(("c_attn.weight", "c_fc.weight", "c_proj.weight"))]
    absent = [b for b in (".attn.bias", ".attn.masked_bias") if not any(k.endswith(b) for k in hf_state)]
    sizes = "\n".join(f"| `{n}` | {s:,} |" for n, s in files)
    text = f"""# GPT reference fixtures (PyTorch)

Generated by `scripts/make_gpt_fixtures.py` with torch {torch.__version__} and transformers {tf_version}, on
CPU, float32; do not edit by hand. Regenerate (by hand, never in CI) with

    "$(scripts/setup_python_env.sh --print-python)" scripts/make_gpt_fixtures.py

and commit the result. A file is rewritten only when its tensors or metadata change. The Swift tests only
read these files; they never run Python. Every file is below {MAX_FILE_BYTES // 1024} KB. The Llama, Qwen2 and
MiniMind2 fixtures at the end of this README come from `scripts/make_minimind_fixtures.py` (its own section).

| file | bytes |
| --- | ---: |
{sizes}

## Common conventions

- `param.<key>`: every entry of `model.state_dict()`, under exactly PyTorch's key (dotted, list indices
  as numbers: `transformer.h.1.attn.c_attn.weight`).
- `grad.<name>`: the gradient of `loss` with respect to each entry of `model.named_parameters()`, after
  one `loss.backward()` from zero gradients.
- `idx` (and `targets` / `labels`): int64 token ids of shape (2, 16).
- `logits`: float32 (2, 16, vocab); `loss`: a 0-d float32 tensor.
- Safetensors metadata: `config` (the model config as JSON), `torch`, `seed`, `generator`, `model`.
- Dropout is 0 everywhere, so the model's train/eval mode does not matter.

### Tied embeddings (both models)

`lm_head.weight` and `transformer.wte.weight` are one tensor. `state_dict()` lists it under both keys,
so both `param.transformer.wte.weight` and `param.lm_head.weight` are stored (equal values).
`named_parameters()` lists it once, as `transformer.wte.weight`; so there is **no**
`grad.lm_head.weight`: `grad.transformer.wte.weight` holds the sum of both uses (embedding lookup and
output projection). A Swift model that ties the weights must load one of the two keys and compare its
single gradient with `grad.transformer.wte.weight`.

## `gpt_nanogpt.safetensors` and `gpt_nanogpt_nobias.safetensors`

A GPT written in the script with the semantics and names of nanoGPT's `model.py` (classes `GPTConfig`,
`LayerNorm`, `CausalSelfAttention`, `MLP`, `Block`, `GPT`):

- config: vocab_size 65, block_size 16, n_layer 2, n_head 2, n_embd 32, dropout 0; `bias` true for
  `gpt_nanogpt`, false for `gpt_nanogpt_nobias` (no bias in any Linear nor LayerNorm: those keys are
  absent). Metadata `config` = `{{"vocab_size":65,"block_size":16,"n_layer":2,"n_head":2,"n_embd":32,"bias":…,"dropout":0}}` (compact JSON).
- forward: `x = wte(idx) + wpe(arange(T))`; per block `x = x + attn(ln_1(x))`, `x = x + mlp(ln_2(x))`;
  `ln_f`; `lm_head` (no bias). LayerNorm eps 1e-5.
- attention: `q, k, v = c_attn(x).split(n_embd, dim=2)`, each viewed as (B, T, nh, hs) and transposed
  to (B, nh, T, hs); `F.scaled_dot_product_attention(q, k, v, is_causal=True)` (scale 1/sqrt(hs));
  heads transposed back and merged to (B, T, C); `c_proj`.
- MLP: `c_fc` (C → 4C), exact GELU (`nn.GELU()`, erf form), `c_proj` (4C → C).
- Linear weights are PyTorch's (out, in) layout: `c_attn.weight` (96, 32), `c_fc.weight` (128, 32).
- init (seeded: 1337 for `gpt_nanogpt`, 1338 for `gpt_nanogpt_nobias`; values are what matters, the
  Swift tests load them): normal(0, 0.02) for Linear and Embedding weights, zeros for biases, and
  normal(0, 0.02/sqrt(2·n_layer)) for every `c_proj.weight`; LayerNorm weight 1 and bias 0.
- `logits` = `forward(idx, targets)[0]`, all positions, (2, 16, 65);
  `loss` = `F.cross_entropy(logits.view(-1, 65), targets.view(-1), ignore_index=-1)` (mean over all
  2·16 positions; `targets` has no -1);
  `logits_last` = `forward(idx)[0]` without targets: nanoGPT then projects only the last position,
  (2, 1, 65) (equal to `logits[:, -1:, :]`).
- gradients: `grad.*` from `loss.backward()`.

Keys of `gpt_nanogpt.safetensors`:

{key_table(nano)}

`gpt_nanogpt_nobias.safetensors` has the same keys minus every `*.bias` (LayerNorm and Linear):

{key_table(nano_nobias)}

## `gpt2_hf.safetensors`

`transformers.GPT2LMHeadModel(GPT2Config(vocab_size=100, n_positions=16, n_embd=32, n_layer=2, n_head=2,
activation_function="gelu_new", resid_pdrop=0, embd_pdrop=0, attn_pdrop=0, bos_token_id=99,
eos_token_id=99))`, random HF init after `torch.manual_seed(1339)` (bos/eos only silence a warning:
the default 50256 is outside the vocabulary; they do not affect the computation).

- **Conv1D layout.** GPT-2's `c_attn`, `c_proj` and `c_fc` are `transformers.pytorch_utils.Conv1D`, not
  `nn.Linear`: the weight is stored **(in, out)** and the layer computes `x @ weight + bias`. So
  `attn.c_attn.weight` is (32, 96), `attn.c_proj.weight` (32, 32), `mlp.c_fc.weight` (32, 128),
  `mlp.c_proj.weight` (128, 32). A Swift `Linear` ((out, in)) must load their transpose; the same holds
  for their `grad.*`. Keys affected ({len(conv1d)}): `transformer.h.N.attn.c_attn.weight`,
  `transformer.h.N.attn.c_proj.weight`, `transformer.h.N.mlp.c_fc.weight`, `transformer.h.N.mlp.c_proj.weight`
  for N = 0, 1. Biases, embeddings, LayerNorms and `lm_head.weight` (100, 32) are not transposed.
- **Buffers.** In transformers {tf_version} `named_buffers()` is {"[" + ", ".join(hf_buffers) + "]" if hf_buffers else "empty"}: the old
  causal-mask buffers {" and ".join(f"`h.N{b}`" for b in absent) if absent else "(present)"} no longer
  exist (the mask is built on the fly; `_keys_to_ignore_on_load_unexpected = ["attn.bias",
  "crossattention.bias"]` lets it load older checkpoints that still carry `attn.bias`). So every
  `param.*` key here is a parameter or the tied `lm_head.weight`. Checkpoints written by older
  transformers versions (e.g. the published `gpt2` weights, whose keys also lack the `transformer.`
  prefix and the tied `lm_head.weight`) may contain `h.N.attn.bias` (a (1, 1, n_positions, n_positions)
  lower-triangular mask) and `h.N.attn.masked_bias`: a loader should ignore them.
- q, k, v: `c_attn` output split into three blocks of `n_embd` in the order q, k, v, heads as in nanoGPT;
  scale 1/sqrt(head_dim); causal. Attention implementation used: `{attn_impl}` (numerically the same
  as the eager path to float32 rounding).
- activation `gelu_new`: `0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))` (the tanh approximation, not
  exact GELU); `layer_norm_epsilon` 1e-5; MLP inner size 4·n_embd = 128.
- HF init: normal(0, 0.02) for weights (Conv1D, Embedding, lm_head), zeros for biases,
  normal(0, 0.02/sqrt(2·n_layer)) for `c_proj.weight`, LayerNorm 1 and 0.
- `logits` (2, 16, 100) from `model(input_ids=idx, labels=idx)`; `labels` = `idx` (stored separately);
  `loss` is HF's own causal-LM loss: **shifted inside the model**, so logits at position t are scored
  against `labels[:, t+1]`, mean cross entropy over the 2·15 = 30 pairs (the last position of each row
  has no target). Equivalent to `F.cross_entropy(logits[:, :-1].reshape(-1, 100), idx[:, 1:].reshape(-1))`
  (the script asserts this). Note the difference from nanoGPT, whose `targets` are already shifted.
- gradients: `grad.*` from `loss.backward()`, named as `named_parameters()`.

Keys:

{key_table(hf)}
"""
    path = OUT_DIR / "README.md"
    old = path.read_text() if path.exists() else ""
    if OTHER_SECTION[0] in old and OTHER_SECTION[1] in old:
        start = old.index(OTHER_SECTION[0])
        end = old.index(OTHER_SECTION[1], start) + len(OTHER_SECTION[1])
        text = text.rstrip("\n") + "\n\n" + old[start:end] + "\n"
    path.write_text(text)


def main():
    torch.set_num_threads(1)  # fewer sources of run-to-run variation in float reductions
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    files = []
    size, nano = nanogpt_fixture("gpt_nanogpt.safetensors", bias=True, seed=1337)
    files.append(("gpt_nanogpt.safetensors", size))
    size, nano_nobias = nanogpt_fixture("gpt_nanogpt_nobias.safetensors", bias=False, seed=1338)
    files.append(("gpt_nanogpt_nobias.safetensors", size))
    size, hf, hf_info = hf_gpt2_fixture("gpt2_hf.safetensors", seed=1339)
    files.append(("gpt2_hf.safetensors", size))
    write_readme(files, nano, nano_nobias, hf, hf_info)
    for n, s in files:
        print(f"{OUT_DIR.relative_to(ROOT)}/{n}: {s:,} bytes")
    print(f"{(OUT_DIR / 'README.md').relative_to(ROOT)} written")


if __name__ == "__main__":
    main()
