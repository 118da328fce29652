#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for Mnemo's Llama-family models (Llama, Qwen2, MiniMind2) into
Tests/MnemoModelsTests/Fixtures/.

What it does
    Builds tiny models on CPU in float32 with fixed seeds, runs one forward and backward pass on a fixed
    (2, 12) batch and stores parameters, inputs, logits, losses and every parameter gradient:
      llama_gqa_tied.safetensors              transformers.LlamaForCausalLM, GQA, tied embeddings
      qwen2_bias.safetensors                  transformers.Qwen2ForCausalLM, q/k/v biases, untied head
      minimind_dense.safetensors              MiniMind2 (restated below), interleaved-pair complex RoPE
      minimind_moe.safetensors                the same with MiniMind2's MoE FFN, training mode, aux loss
      minimind_dense_rotate_half.safetensors  the weights of minimind_dense with the rotate-half RoPE layout
      hf_llama_tiny/, hf_qwen2_tiny/          the first two models as Hugging Face folders (save_pretrained)
    It also builds the full-size MiniMind2 (only to count its parameters: 25,829,888) and writes its own
    section of Tests/MnemoModelsTests/Fixtures/README.md (between the two marker lines below; the rest of
    that README belongs to scripts/make_gpt_fixtures.py, which keeps this section when it rewrites it).
    Each file stays below MAX_FILE_BYTES; the script fails otherwise.

What it does not do
    It downloads nothing (every model is randomly initialised) and never runs in CI: the Swift tests only
    read the committed files.

How to run it (by hand)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_minimind_fixtures.py [--minimind DIR]

    A file is rewritten only when its content changes, so re-running on the same machine leaves git clean.
    With --minimind DIR (a checkout of jingyaogong/minimind at 7da201a: DIR/model/model.py and
    DIR/model/LMConfig.py), it also loads the fixtures' weights into MiniMind2's own MiniMindLM (under
    MiniMind2's names) and checks that it gives the same initial weights for the same seed, the same
    logits, losses and gradients (nothing of MiniMind's code is copied here or committed).

MiniMind2
    The classes below restate MiniMind2's model/model.py and model/LMConfig.py as they stand at
    jingyaogong/minimind@7da201a (2025-04-18, the last commit before the April 2025 rewrite a62faf3 into
    model/model_minimind.py): same computations, same order of parameter creation (so the same seed
    gives the same initial values as MiniMind2's own classes), but with the parameter names of Hugging
    Face's Llama (those MiniMind itself adopted in model/model_minimind.py from a62faf3 on). Things left
    out because they do not change training-mode float32 numerics: the KV cache, generation, the
    (max_seq_len)^2 mask buffer of the non-flash attention path (the flash path, SDPA with is_causal=True,
    is the one MiniMind takes for seq_len > 1), and the PreTrainedModel wrapper.
"""

import json
import math
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import _parsed, save_fixture  # noqa: E402  (rewrite only on change)

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "Tests" / "MnemoModelsTests" / "Fixtures"
README = OUT_DIR / "README.md"
MAX_FILE_BYTES = 300 * 1024
BATCH, SEQ = 2, 12
GENERATOR = "scripts/make_minimind_fixtures.py"
MINIMIND_SOURCE = "jingyaogong/minimind@7da201a model/model.py + model/LMConfig.py (MiniMind2, 2025-04-18)"
MINIMIND2_PARAMS = 25_829_888
README_BEGIN = "<!-- BEGIN scripts/make_minimind_fixtures.py: this section is generated; do not edit -->"
README_END = "<!-- END scripts/make_minimind_fixtures.py -->"
# Tolerances the README promises for float32 comparisons (allclose: |a - b| <= atol + rtol * |b|). The
# script checks that a float64 rerun of the same model stays within a tenth of them.
TOL = {"logits": (2e-5, 1e-3), "loss": (1e-5, 1e-4), "grad": (2e-5, 1e-3)}


# ----------------------------------------------------------------------------------------------------
# MiniMind2, restated (jingyaogong/minimind@7da201a model/model.py), with Hugging Face Llama names

@dataclass
class MiniMindConfig:
    """MiniMind2's LMConfig fields and defaults (model/LMConfig.py at 7da201a), plus two fixture switches."""
    dim: int = 512
    n_layers: int = 8
    n_heads: int = 8
    n_kv_heads: int = 2
    vocab_size: int = 6400
    hidden_dim: Optional[int] = None  # None: 4·dim·2/3 rounded up to a multiple of multiple_of
    multiple_of: int = 64
    norm_eps: float = 1e-5
    max_seq_len: int = 8192
    rope_theta: float = 1e6
    dropout: float = 0.0
    flash_attn: bool = True
    use_moe: bool = False
    num_experts_per_tok: int = 2
    n_routed_experts: int = 4
    n_shared_experts: bool = True
    scoring_func: str = "softmax"
    aux_loss_alpha: float = 0.1
    seq_aux: bool = True
    norm_topk_prob: bool = True
    # Not MiniMind fields:
    rope_layout: str = "interleaved"  # MiniMind2's complex pairs (2i, 2i+1); "rotate_half": a62faf3 on / HF Llama
    expert_out_dtype: str = "float32"  # MiniMind2 collects routed-expert outputs in float16 (see MoEFeedForward)


def ffn_hidden_dim(config):
    """MiniMind2's FeedForward rule: hidden_dim if given, else int(2·4·dim/3) rounded up to multiple_of."""
    if config.hidden_dim is not None:
        return config.hidden_dim
    hidden = int(2 * (4 * config.dim) / 3)
    return config.multiple_of * ((hidden + config.multiple_of - 1) // config.multiple_of)


def _compute_dtype(x):
    """MiniMind casts to float32 (x.float()) for RMSNorm and RoPE. The float64 rerun that checks float32
    error keeps float64 instead; for float32 inputs this is exactly MiniMind's x.float()."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.to(_compute_dtype(x))
        return self.weight * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x)


def rope_frequencies(head_dim, end, theta, dtype=torch.float32):
    """freqs[t, i] = t · theta^(-2i/head_dim), i < head_dim/2, as MiniMind computes it (float32)."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2)[: head_dim // 2].to(dtype) / head_dim))
    t = torch.arange(end)
    return torch.outer(t, inv).to(dtype)


def precompute_pos_cis(head_dim, end=32 * 1024, theta=1e6, dtype=torch.float32):
    """MiniMind2: unit complex numbers e^{i·freqs}, (end, head_dim/2) complex64."""
    freqs = rope_frequencies(head_dim, end, theta, dtype)
    return torch.polar(torch.ones_like(freqs), freqs)


def precompute_cos_sin(head_dim, end=32 * 1024, theta=1e6, dtype=torch.float32):
    """model_minimind.py (a62faf3 on): cos and sin of freqs, each repeated twice, (end, head_dim)."""
    freqs = rope_frequencies(head_dim, end, theta, dtype)
    return torch.cat([freqs.cos(), freqs.cos()], dim=-1), torch.cat([freqs.sin(), freqs.sin()], dim=-1)


def apply_rotary_interleaved(xq, xk, pos_cis):
    """MiniMind2: (x[2i], x[2i+1]) is read as the complex x[2i] + i·x[2i+1] and multiplied by pos_cis[t, i].
    xq, xk: (B, T, heads, head_dim); pos_cis: (T, head_dim/2)."""
    def rotate(x):
        xc = torch.view_as_complex(x.to(_compute_dtype(x)).reshape(*x.shape[:-1], -1, 2))
        shape = [d if i == 1 or i == xc.ndim - 1 else 1 for i, d in enumerate(xc.shape)]
        return torch.view_as_real(xc * pos_cis.view(*shape)).flatten(3).type_as(x)
    return rotate(xq), rotate(xk)


def apply_rotary_rotate_half(xq, xk, cos, sin):
    """HF Llama / MiniMind from a62faf3: x·cos + rotate_half(x)·sin with rotate_half(x) = [-x2, x1]
    (x1, x2 the first and second halves of head_dim), so dims (i, i + head_dim/2) form a pair."""
    def rotate_half(x):
        return torch.cat((-x[..., x.shape[-1] // 2:], x[..., : x.shape[-1] // 2]), dim=-1)
    cos, sin = cos[:, None, :], sin[:, None, :]  # (T, 1, head_dim) against (B, T, heads, head_dim)
    return xq * cos + rotate_half(xq) * sin, xk * cos + rotate_half(xk) * sin


def repeat_kv(x, n_rep):
    """(B, T, n_kv, hd) -> (B, T, n_kv·n_rep, hd); kv head j serves query heads j·n_rep ... j·n_rep + n_rep-1."""
    bs, slen, n_kv_heads, head_dim = x.shape
    if n_rep == 1:
        return x
    return x[:, :, :, None, :].expand(bs, slen, n_kv_heads, n_rep, head_dim).reshape(bs, slen, n_kv_heads * n_rep, head_dim)


class Attention(nn.Module):
    """MiniMind2 Attention (wq, wk, wv, wo -> q_proj, k_proj, v_proj, o_proj), no biases."""

    def __init__(self, config):
        super().__init__()
        self.n_heads, self.n_kv_heads = config.n_heads, config.n_kv_heads
        assert self.n_heads % self.n_kv_heads == 0
        self.n_rep = self.n_heads // self.n_kv_heads
        self.head_dim = config.dim // config.n_heads
        self.q_proj = nn.Linear(config.dim, self.n_heads * self.head_dim, bias=False)     # wq
        self.k_proj = nn.Linear(config.dim, self.n_kv_heads * self.head_dim, bias=False)  # wk
        self.v_proj = nn.Linear(config.dim, self.n_kv_heads * self.head_dim, bias=False)  # wv
        self.o_proj = nn.Linear(self.n_heads * self.head_dim, config.dim, bias=False)     # wo
        self.dropout = config.dropout

    def forward(self, x, rope):
        bsz, seq_len, _ = x.shape
        xq = self.q_proj(x).view(bsz, seq_len, self.n_heads, self.head_dim)
        xk = self.k_proj(x).view(bsz, seq_len, self.n_kv_heads, self.head_dim)
        xv = self.v_proj(x).view(bsz, seq_len, self.n_kv_heads, self.head_dim)
        if rope[0] == "interleaved":
            xq, xk = apply_rotary_interleaved(xq, xk, rope[1])
        else:
            xq, xk = apply_rotary_rotate_half(xq, xk, rope[1], rope[2])
        xq, xk, xv = xq.transpose(1, 2), repeat_kv(xk, self.n_rep).transpose(1, 2), repeat_kv(xv, self.n_rep).transpose(1, 2)
        # MiniMind2's flash path (taken whenever seq_len != 1): scale 1/sqrt(head_dim), causal.
        out = F.scaled_dot_product_attention(xq, xk, xv, attn_mask=None,
                                             dropout_p=self.dropout if self.training else 0.0, is_causal=True)
        return self.o_proj(out.transpose(1, 2).reshape(bsz, seq_len, -1))


class FeedForward(nn.Module):
    """SwiGLU w2(silu(w1 x) · w3 x); w1 -> gate_proj, w3 -> up_proj, w2 -> down_proj. MiniMind2 creates
    w1, w2, w3 in that order (it matters for the seeded init), so: gate_proj, down_proj, up_proj."""

    def __init__(self, config):
        super().__init__()
        hidden = ffn_hidden_dim(config)
        self.gate_proj = nn.Linear(config.dim, hidden, bias=False)  # w1
        self.down_proj = nn.Linear(hidden, config.dim, bias=False)  # w2
        self.up_proj = nn.Linear(config.dim, hidden, bias=False)    # w3

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class MoEGate(nn.Module):
    """MiniMind2 MoEGate: softmax scores over the routed experts, top-k, renormalised top-k weights and, in
    training mode, the sequence-level auxiliary load-balancing loss."""

    def __init__(self, config):
        super().__init__()
        self.top_k, self.n_routed_experts = config.num_experts_per_tok, config.n_routed_experts
        self.scoring_func, self.alpha, self.seq_aux = config.scoring_func, config.aux_loss_alpha, config.seq_aux
        self.norm_topk_prob = config.norm_topk_prob
        self.weight = nn.Parameter(torch.empty((self.n_routed_experts, config.dim)))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.record = None  # fixture only: what the last forward routed

    def forward(self, hidden_states):
        bsz, seq_len, h = hidden_states.shape
        hidden_states = hidden_states.view(-1, h)
        logits = F.linear(hidden_states, self.weight, None)
        assert self.scoring_func == "softmax"
        scores = logits.softmax(dim=-1)  # (B·T, E)
        topk_weight, topk_idx = torch.topk(scores, k=self.top_k, dim=-1, sorted=False)
        if self.top_k > 1 and self.norm_topk_prob:
            topk_weight = topk_weight / (topk_weight.sum(dim=-1, keepdim=True) + 1e-20)
        ce = None
        if self.training and self.alpha > 0.0:
            topk_idx_for_aux_loss = topk_idx.view(bsz, -1)  # (B, T·k)
            if self.seq_aux:
                # Per sequence b: ce[b, e] = (number of the T·k selections of b that chose e) / (T·k/E), a
                # constant (no gradient); aux = alpha · mean_b sum_e ce[b, e] · mean_t scores[b, t, e].
                scores_for_seq_aux = scores.view(bsz, seq_len, -1)
                ce = torch.zeros(bsz, self.n_routed_experts, dtype=scores.dtype)
                ce.scatter_add_(1, topk_idx_for_aux_loss, torch.ones(bsz, seq_len * self.top_k, dtype=scores.dtype))
                ce = ce.div_(seq_len * self.top_k / self.n_routed_experts)
                aux_loss = (ce * scores_for_seq_aux.mean(dim=1)).sum(dim=1).mean() * self.alpha
            else:  # batch-level variant (not used here: seq_aux is True)
                ce = F.one_hot(topk_idx_for_aux_loss.view(-1), num_classes=self.n_routed_experts).float().mean(0)
                aux_loss = (scores.mean(0) * ce * self.n_routed_experts).sum() * self.alpha
        else:
            aux_loss = 0
        self.record = dict(scores=scores, topk_idx=topk_idx, topk_weight=topk_weight, load=ce, aux_loss=aux_loss)
        return topk_idx, topk_weight, aux_loss


class MoEFeedForward(nn.Module):
    """MiniMind2 MOEFeedForward: n_routed_experts FeedForwards chosen per token by the gate, plus a shared
    FeedForward applied to every token. MiniMind2 creates experts, then gate, then shared_experts; it
    names the shared expert `shared_experts` (one FeedForward); model_minimind.py (a62faf3 on) holds
    n_shared_experts of them in a ModuleList, `shared_experts.0`, which is the name used here."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.experts = nn.ModuleList([FeedForward(config) for _ in range(config.n_routed_experts)])
        self.gate = MoEGate(config)
        self.shared_experts = nn.ModuleList([FeedForward(config)] if config.n_shared_experts else [])
        self.aux_loss = 0

    def forward(self, x):
        identity, orig_shape = x, x.shape
        topk_idx, topk_weight, aux_loss = self.gate(x)
        x = x.view(-1, x.shape[-1])
        flat_topk_idx = topk_idx.view(-1)
        if self.training:
            # Every token is repeated k times (row r·k + j is token r's j-th choice); each expert runs on the
            # rows routed to it; the k outputs of a token are summed with its top-k weights. MiniMind2
            # collects the expert outputs in a float16 buffer (torch.empty_like(x, dtype=torch.float16)),
            # fixed to x.dtype in jingyaogong/minimind@5129f0e (2025-12, "[fix] dtype & lr").
            x = x.repeat_interleave(self.config.num_experts_per_tok, dim=0)
            out_dtype = torch.float16 if self.config.expert_out_dtype == "float16" else x.dtype
            y = torch.empty_like(x, dtype=out_dtype)
            for i, expert in enumerate(self.experts):
                y[flat_topk_idx == i] = expert(x[flat_topk_idx == i]).to(y.dtype)
            y = (y.view(*topk_weight.shape, -1) * topk_weight.unsqueeze(-1)).sum(dim=1)
            y = y.view(*orig_shape)
        else:
            y = self.moe_infer(x, flat_topk_idx, topk_weight.view(-1, 1)).view(*orig_shape)
        for expert in self.shared_experts:
            y = y + expert(identity)
        self.aux_loss = aux_loss
        return y

    @torch.no_grad()
    def moe_infer(self, x, flat_expert_indices, flat_expert_weights):
        """MiniMind2's eval path: tokens sorted by expert, each expert's weighted output scatter-added."""
        expert_cache = torch.zeros_like(x)
        idxs = flat_expert_indices.argsort()
        tokens_per_expert = flat_expert_indices.bincount().cpu().numpy().cumsum(0)
        token_idxs = idxs // self.config.num_experts_per_tok
        for i, end_idx in enumerate(tokens_per_expert):
            start_idx = 0 if i == 0 else tokens_per_expert[i - 1]
            if start_idx == end_idx:
                continue
            exp_token_idx = token_idxs[start_idx:end_idx]
            expert_out = self.experts[i](x[exp_token_idx]).to(expert_cache.dtype)
            expert_out.mul_(flat_expert_weights[idxs[start_idx:end_idx]])
            expert_cache.scatter_add_(0, exp_token_idx.view(-1, 1).repeat(1, x.shape[-1]), expert_out)
        return expert_cache


class MiniMindBlock(nn.Module):
    """attention -> self_attn, attention_norm -> input_layernorm, ffn_norm -> post_attention_layernorm,
    feed_forward -> mlp."""

    def __init__(self, config):
        super().__init__()
        self.self_attn = Attention(config)
        self.input_layernorm = RMSNorm(config.dim, eps=config.norm_eps)
        self.post_attention_layernorm = RMSNorm(config.dim, eps=config.norm_eps)
        self.mlp = MoEFeedForward(config) if config.use_moe else FeedForward(config)

    def forward(self, x, rope):
        h = x + self.self_attn(self.input_layernorm(x), rope)
        return h + self.mlp(self.post_attention_layernorm(h))


class MiniMindModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.dim)  # tok_embeddings
        self.layers = nn.ModuleList([MiniMindBlock(config) for _ in range(config.n_layers)])
        self.norm = RMSNorm(config.dim, eps=config.norm_eps)


class MiniMindForCausalLM(nn.Module):
    """MiniMindLM: embeddings, pre-norm blocks, final RMSNorm, output Linear (-> lm_head) tied to the
    embeddings. MiniMind2 has no custom init: Linear layers keep PyTorch's kaiming-uniform init and the
    tied matrix is the output Linear's (the Embedding's normal init is drawn, then replaced)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.model = MiniMindModel(config)
        self.lm_head = nn.Linear(config.dim, config.vocab_size, bias=False)  # output
        self.model.embed_tokens.weight = self.lm_head.weight
        head_dim = config.dim // config.n_heads
        self.register_buffer("pos_cis", precompute_pos_cis(head_dim, theta=config.rope_theta), persistent=False)
        cos, sin = precompute_cos_sin(head_dim, theta=config.rope_theta)
        self.register_buffer("freqs_cos", cos, persistent=False)
        self.register_buffer("freqs_sin", sin, persistent=False)

    def rope(self, seq_len, dtype):
        head_dim = self.config.dim // self.config.n_heads
        if self.config.rope_layout == "interleaved":
            if dtype == torch.float64:  # the float64 error check only
                return ("interleaved", precompute_pos_cis(head_dim, seq_len, self.config.rope_theta, torch.float64))
            return ("interleaved", self.pos_cis[:seq_len])
        assert self.config.rope_layout == "rotate_half"
        if dtype == torch.float64:
            cos, sin = precompute_cos_sin(head_dim, seq_len, self.config.rope_theta, torch.float64)
            return ("rotate_half", cos, sin)
        return ("rotate_half", self.freqs_cos[:seq_len], self.freqs_sin[:seq_len])

    def forward(self, input_ids, logits_to_keep=0):
        """Returns (logits, aux_loss). logits_to_keep = 0: all positions; n: the last n (MiniMind's slice)."""
        h = self.model.embed_tokens(input_ids)
        rope = self.rope(input_ids.size(1), h.dtype)
        for layer in self.model.layers:
            h = layer(h, rope)
        logits = self.lm_head(self.model.norm(h)[:, slice(-logits_to_keep, None), :])
        aux_loss = sum(l.mlp.aux_loss for l in self.model.layers if isinstance(l.mlp, MoEFeedForward))
        return logits, aux_loss


# MiniMind2's own state_dict names (7da201a) -> the names used here (HF Llama; model_minimind.py).
MINIMIND2_NAMES = [
    ("tok_embeddings.weight", "model.embed_tokens.weight"),
    ("layers.N.attention.wq.weight", "model.layers.N.self_attn.q_proj.weight"),
    ("layers.N.attention.wk.weight", "model.layers.N.self_attn.k_proj.weight"),
    ("layers.N.attention.wv.weight", "model.layers.N.self_attn.v_proj.weight"),
    ("layers.N.attention.wo.weight", "model.layers.N.self_attn.o_proj.weight"),
    ("layers.N.attention_norm.weight", "model.layers.N.input_layernorm.weight"),
    ("layers.N.ffn_norm.weight", "model.layers.N.post_attention_layernorm.weight"),
    ("layers.N.feed_forward.w1.weight", "model.layers.N.mlp.gate_proj.weight"),
    ("layers.N.feed_forward.w3.weight", "model.layers.N.mlp.up_proj.weight"),
    ("layers.N.feed_forward.w2.weight", "model.layers.N.mlp.down_proj.weight"),
    ("norm.weight", "model.norm.weight"),
    ("output.weight", "lm_head.weight"),
]
MINIMIND2_MOE_NAMES = [
    ("layers.N.feed_forward.gate.weight", "model.layers.N.mlp.gate.weight"),
    ("layers.N.feed_forward.experts.E.w1.weight", "model.layers.N.mlp.experts.E.gate_proj.weight"),
    ("layers.N.feed_forward.experts.E.w3.weight", "model.layers.N.mlp.experts.E.up_proj.weight"),
    ("layers.N.feed_forward.experts.E.w2.weight", "model.layers.N.mlp.experts.E.down_proj.weight"),
    ("layers.N.feed_forward.shared_experts.w1.weight", "model.layers.N.mlp.shared_experts.0.gate_proj.weight"),
    ("layers.N.feed_forward.shared_experts.w3.weight", "model.layers.N.mlp.shared_experts.0.up_proj.weight"),
    ("layers.N.feed_forward.shared_experts.w2.weight", "model.layers.N.mlp.shared_experts.0.down_proj.weight"),
]


def interleaved_to_half(weight, n_heads, head_dim):
    """Rows of a q/k projection reordered per head from the interleaved pair layout (2i, 2i+1) to the
    rotate-half layout (i, i + head_dim/2): new row i <- old 2i, new row head_dim/2 + i <- old 2i + 1."""
    out_features, in_features = weight.shape
    assert out_features == n_heads * head_dim
    return weight.view(n_heads, head_dim // 2, 2, in_features).transpose(1, 2).reshape(out_features, in_features)


# ----------------------------------------------------------------------------------------------------
# Helpers

def save(path, tensors, metadata):
    """Writes path only when its tensors or metadata change (fixtures_safetensors.save_fixture)."""
    return save_fixture(path, tensors, metadata, MAX_FILE_BYTES)


def perturb_norms_and_biases(model, std):
    """After the default init (RMSNorm weights 1, HF biases 0): RMSNorm weights 1 + 0.1·N(0,1) and biases
    std·N(0,1), drawn from the seeded global generator, so a loader that skips them fails the tests."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(std * torch.randn_like(p))


def batch(vocab):
    idx = torch.randint(0, vocab, (BATCH, SEQ), dtype=torch.int64)
    targets = torch.randint(0, vocab, (BATCH, SEQ), dtype=torch.int64)  # independent of idx: no shift
    return idx, targets


def cross_entropy(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


def max_rel_err(a, b, atol, rtol):
    """max over elements of |a - b| / (atol + rtol·|b|): <= 1 means allclose(a, b, rtol, atol)."""
    a, b = a.detach().double(), b.detach().double()
    return ((a - b).abs() / (atol + rtol * b.abs())).max().item()


def float64_check(name, model64, run64, results):
    """Reruns a deep copy of the model in float64 and returns the worst ratio of the float32 error to the
    README tolerance for logits, losses and gradients; asserts it is below 0.1."""
    model64.zero_grad(set_to_none=True)
    out64 = run64(model64)
    worst = {}
    for key, value in results.items():
        kind = "grad" if key.startswith("grad.") else ("logits" if "logits" in key else "loss")
        atol, rtol = TOL[kind]
        ref = out64[key]
        worst[kind] = max(worst.get(kind, 0.0), max_rel_err(value, ref, atol, rtol))
    assert all(v < 0.1 for v in worst.values()), (name, worst)
    return worst


def compact(d):
    return json.dumps(d, separators=(",", ":"), sort_keys=True)


# ----------------------------------------------------------------------------------------------------
# 1, 2, 6: Hugging Face Llama and Qwen2

HF_COMMON = dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=64, rms_norm_eps=1e-5, max_position_embeddings=64, initializer_range=0.2,
                 rope_parameters={"rope_type": "default", "rope_theta": 1e6}, attention_dropout=0.0,
                 attn_implementation="eager")


def hf_fixture(kind, file_name, folder_name, seed):
    import transformers
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    if kind == "llama":
        config = LlamaConfig(**HF_COMMON, tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
                             bos_token_id=1, eos_token_id=2)
        cls = LlamaForCausalLM
    else:
        config = Qwen2Config(**HF_COMMON, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
        cls = Qwen2ForCausalLM
    torch.manual_seed(seed)
    model = cls(config)
    perturb_norms_and_biases(model, std=config.initializer_range)
    model.train()  # dropout is 0: train and eval compute the same thing
    assert model.config._attn_implementation == "eager"
    tied = model.lm_head.weight is model.model.embed_tokens.weight
    assert tied == (kind == "llama")
    idx, targets = batch(config.vocab_size)

    def run(m):
        logits = m(input_ids=idx).logits
        loss = cross_entropy(logits, targets)
        loss.backward()
        out = {"logits": logits, "loss": loss}
        out.update({f"grad.{n}": p.grad for n, p in m.named_parameters()})
        return out

    import copy
    model64 = copy.deepcopy(model).double()
    results = run(model)
    worst = float64_check(kind, model64, run, results)

    params = dict(model.named_parameters())  # the tied lm_head.weight is listed once, as model.embed_tokens.weight
    assert ("lm_head.weight" in params) == (not tied)
    tensors = {f"param.{n}": p for n, p in params.items()}
    tensors.update(idx=idx, targets=targets, logits=results["logits"], loss=results["loss"])
    tensors.update({k: v for k, v in results.items() if k.startswith("grad.")})
    cfg = {k: v for k, v in config.to_dict().items() if k in (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "head_dim", "intermediate_size", "rms_norm_eps", "max_position_embeddings", "rope_parameters",
        "tie_word_embeddings", "attention_bias", "mlp_bias", "hidden_act", "initializer_range", "model_type")}
    metadata = {
        "config": compact(cfg),
        "model": f"transformers.{cls.__name__}",
        "attn_implementation": "eager",
        "rope_layout": "rotate_half",
        "seed": str(seed),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "generator": GENERATOR,
    }
    size = save(OUT_DIR / file_name, tensors, metadata)

    # The Hugging Face folder: save_pretrained into a temporary folder, keep config.json and
    # model.safetensors (generation_config.json is left out), replace files only when they change.
    folder = OUT_DIR / folder_name
    folder.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        written = sorted(os.listdir(tmp))
        assert "config.json" in written and "model.safetensors" in written, written
        new_config = Path(tmp, "config.json").read_bytes()
        if not (folder / "config.json").exists() or (folder / "config.json").read_bytes() != new_config:
            (folder / "config.json").write_bytes(new_config)
        old, new = _parsed(folder / "model.safetensors"), _parsed(Path(tmp, "model.safetensors"))
        if old != new:
            shutil.copyfile(Path(tmp, "model.safetensors"), folder / "model.safetensors")
    (folder / "config.json").chmod(0o644)
    (folder / "model.safetensors").chmod(0o644)
    extra = sorted(set(os.listdir(folder)) - {"config.json", "model.safetensors"})
    assert not extra, f"unexpected files in {folder}: {extra}"
    assert (folder / "model.safetensors").stat().st_size <= MAX_FILE_BYTES

    # The folder loads back in transformers and gives the same logits; its tensors are the fixture's params.
    from safetensors.torch import load_file
    stored = load_file(str(folder / "model.safetensors"))
    assert sorted(stored) == sorted(params), (sorted(stored), sorted(params))
    assert all(torch.equal(stored[n], params[n].detach()) for n in stored)
    reloaded = cls.from_pretrained(str(folder), attn_implementation="eager").eval()
    with torch.no_grad():
        assert torch.allclose(reloaded(input_ids=idx).logits, results["logits"], rtol=0, atol=1e-6)

    info = dict(size=size, worst=worst, tied=tied, folder_files=sorted(os.listdir(folder)),
                folder_sizes={f: (folder / f).stat().st_size for f in sorted(os.listdir(folder))},
                save_pretrained_files=written, config_json=json.loads(new_config), seed=seed,
                transformers=transformers.__version__, metadata=metadata)
    return tensors, info


# ----------------------------------------------------------------------------------------------------
# 3, 4, 5: MiniMind2

TINY = dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=64, norm_eps=1e-5, rope_theta=1e6,
            max_seq_len=64, dropout=0.0)


def minimind_metadata(config, seed, extra):
    cfg = asdict(config)
    cfg["hidden_dim"] = ffn_hidden_dim(config)
    if not config.use_moe:
        for k in ("num_experts_per_tok", "n_routed_experts", "n_shared_experts", "scoring_func", "aux_loss_alpha",
                  "seq_aux", "norm_topk_prob", "expert_out_dtype"):
            cfg.pop(k)
    metadata = {
        "config": compact(cfg),
        "model": "MiniMind2 restated (scripts/make_minimind_fixtures.py), Hugging Face Llama parameter names",
        "minimind_source": MINIMIND_SOURCE,
        "rope_layout": config.rope_layout,
        "tie_word_embeddings": "true",
        "seed": str(seed),
        "torch": torch.__version__,
        "generator": GENERATOR,
    }
    metadata.update(extra)
    return metadata


def hf_llama_equivalent(model, permute_qk):
    """A transformers LlamaForCausalLM with the MiniMind model's weights (rotate-half RoPE). With
    permute_qk, q/k rows are reordered so that it computes the interleaved MiniMind model."""
    from transformers import LlamaConfig, LlamaForCausalLM
    c = model.config
    hf = LlamaForCausalLM(LlamaConfig(
        vocab_size=c.vocab_size, hidden_size=c.dim, num_hidden_layers=c.n_layers, num_attention_heads=c.n_heads,
        num_key_value_heads=c.n_kv_heads, intermediate_size=ffn_hidden_dim(c), rms_norm_eps=c.norm_eps,
        max_position_embeddings=c.max_seq_len, rope_parameters={"rope_type": "default", "rope_theta": c.rope_theta},
        tie_word_embeddings=True, attention_bias=False, mlp_bias=False, attn_implementation="eager"))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if permute_qk:
        hd = c.dim // c.n_heads
        for k in list(state):
            if k.endswith("q_proj.weight"):
                state[k] = interleaved_to_half(state[k], c.n_heads, hd)
            elif k.endswith("k_proj.weight"):
                state[k] = interleaved_to_half(state[k], c.n_kv_heads, hd)
    hf.load_state_dict(state, strict=True)
    return hf.eval()


def minimind_dense_fixture(seed):
    import copy
    config = MiniMindConfig(**TINY)
    torch.manual_seed(seed)
    model = MiniMindForCausalLM(config)
    perturb_norms_and_biases(model, std=0.0)
    model.train()
    assert ffn_hidden_dim(config) == 128
    idx, targets = batch(config.vocab_size)

    def run(m):
        logits, aux = m(idx)
        assert aux == 0
        loss = cross_entropy(logits, targets)
        loss.backward()
        with torch.no_grad():
            logits_last, _ = m(idx, logits_to_keep=1)
        out = {"logits": logits, "loss": loss, "logits_last": logits_last}
        out.update({f"grad.{n}": p.grad for n, p in m.named_parameters()})
        return out

    model64 = copy.deepcopy(model).double()
    results = run(model)
    worst = float64_check("minimind_dense", model64, run, results)
    assert torch.equal(results["logits_last"], results["logits"][:, -1:, :]) or \
        torch.allclose(results["logits_last"], results["logits"][:, -1:, :], rtol=0, atol=1e-6)

    params = dict(model.named_parameters())
    assert "lm_head.weight" not in params and model.lm_head.weight is model.model.embed_tokens.weight
    tensors = {f"param.{n}": p for n, p in params.items()}
    tensors.update(idx=idx, targets=targets, logits=results["logits"], loss=results["loss"],
                   logits_last=results["logits_last"])
    tensors.update({k: v for k, v in results.items() if k.startswith("grad.")})
    size = save(OUT_DIR / "minimind_dense.safetensors", tensors, minimind_metadata(config, seed, {}))

    # 5: the same weights with the rotate-half layout (MiniMind from a62faf3 / HF Llama): logits only.
    half = copy.deepcopy(model)
    half.config = MiniMindConfig(**{**asdict(config), "rope_layout": "rotate_half"})
    half.eval()
    with torch.no_grad():
        logits_half, _ = half(idx)
        logits_check, _ = model(idx)
        hf_half = hf_llama_equivalent(model, permute_qk=False)(input_ids=idx).logits
        hf_inter = hf_llama_equivalent(model, permute_qk=True)(input_ids=idx).logits
    assert torch.equal(logits_check, results["logits"].detach())
    d_half = (logits_half - hf_half).abs().max().item()
    d_inter = (results["logits"].detach() - hf_inter).abs().max().item()
    d_layout = (logits_half - results["logits"].detach()).abs().max().item()
    assert d_half < 1e-5 and d_inter < 1e-5, (d_half, d_inter)
    assert d_layout > 1e-2, d_layout  # the two layouts give clearly different logits for these weights
    half_tensors = {"idx": idx, "logits": logits_half}
    size_half = save(OUT_DIR / "minimind_dense_rotate_half.safetensors", half_tensors,
                     minimind_metadata(half.config, seed, {"weights": "minimind_dense.safetensors (param.*)"}))
    info = dict(size=size, size_half=size_half, worst=worst, d_half=d_half, d_inter=d_inter, d_layout=d_layout,
                hidden=ffn_hidden_dim(config), seed=seed)
    return tensors, half_tensors, info


def minimind_moe_fixture(seed, hidden_dim):
    import copy
    config = MiniMindConfig(**TINY, hidden_dim=hidden_dim, use_moe=True)
    torch.manual_seed(seed)
    model = MiniMindForCausalLM(config)
    perturb_norms_and_biases(model, std=0.0)
    model.train()  # the aux loss exists in training mode only
    idx, targets = batch(config.vocab_size)
    E = config.n_routed_experts

    def run(m):
        logits, aux_loss = m(idx)
        loss = cross_entropy(logits, targets)
        total = loss + aux_loss
        total.backward()
        out = {"logits": logits, "loss": loss, "aux_loss": aux_loss, "total_loss": total}
        out.update({f"grad.{n}": p.grad for n, p in m.named_parameters()})
        routes = []
        for layer in m.model.layers:
            r = layer.mlp.gate.record
            routes.append(r)
            counts = torch.bincount(r["topk_idx"].reshape(-1), minlength=E)
            assert bool((counts > 0).all()), f"an expert received no token: {counts.tolist()}"
            assert isinstance(r["aux_loss"], torch.Tensor)
        out["routes"] = routes
        return out

    model64 = copy.deepcopy(model).double()
    results = run(model)
    routes = results.pop("routes")
    worst = float64_check("minimind_moe", model64, lambda m: run(m), results)
    layer_aux = [r["aux_loss"] for r in routes]
    assert torch.allclose(sum(layer_aux), results["aux_loss"], rtol=0, atol=0)
    for n, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, n

    # The eval path (moe_infer) computes the same logits as the float32 training path.
    with torch.no_grad():
        model.eval()
        logits_eval, aux_eval = model(idx)
        model.train()
    d_eval = (logits_eval - results["logits"].detach()).abs().max().item()
    assert aux_eval == 0 and d_eval < 1e-5, d_eval

    # MiniMind2 exactly as written: routed-expert outputs rounded through float16 in training mode.
    fp16 = copy.deepcopy(model)
    fp16.config.expert_out_dtype = "float16"
    for layer in fp16.model.layers:
        layer.mlp.config = fp16.config
    with torch.no_grad():
        logits16, aux16 = fp16(idx)
        loss16 = cross_entropy(logits16, targets)
    same_routing = all(torch.equal(torch.sort(a["topk_idx"], -1).values, torch.sort(b.mlp.gate.record["topk_idx"], -1).values)
                       for a, b in zip(routes, fp16.model.layers))
    d_fp16 = (logits16 - results["logits"].detach()).abs().max().item()

    params = dict(model.named_parameters())
    assert "lm_head.weight" not in params
    tensors = {f"param.{n}": p for n, p in params.items()}
    tensors.update(idx=idx, targets=targets, logits=results["logits"], loss=results["loss"],
                   aux_loss=results["aux_loss"], total_loss=results["total_loss"])
    for i, r in enumerate(routes):
        weight, order = torch.sort(r["topk_weight"], dim=-1, descending=True)
        tensors[f"route.{i}.scores"] = r["scores"]
        tensors[f"route.{i}.topk_idx"] = torch.gather(r["topk_idx"], -1, order)
        tensors[f"route.{i}.topk_weight"] = weight
        tensors[f"route.{i}.load"] = r["load"]
        tensors[f"route.{i}.aux_loss"] = r["aux_loss"]
    tensors.update({"fp16_experts.logits": logits16, "fp16_experts.aux_loss": aux16, "fp16_experts.loss": loss16})
    tensors.update({k: v for k, v in results.items() if k.startswith("grad.")})
    meta_config = MiniMindConfig(**{**asdict(config), "expert_out_dtype": "float32"})
    size = save(OUT_DIR / "minimind_moe.safetensors", tensors,
                minimind_metadata(meta_config, seed, {"mode": "train", "shared_expert_names": "shared_experts.0"}))
    counts = [torch.bincount(r["topk_idx"].reshape(-1), minlength=E).tolist() for r in routes]
    # Routing is robust to float32 noise: per token, the k-th best score exceeds the next by this much.
    margins = []
    for r in routes:
        s = torch.sort(r["scores"].detach(), dim=-1, descending=True).values
        margins.append((s[:, config.num_experts_per_tok - 1] - s[:, config.num_experts_per_tok]).min().item())
    assert min(margins) > 5e-3, margins
    info = dict(size=size, worst=worst, d_eval=d_eval, d_fp16=d_fp16, same_routing=same_routing, counts=counts,
                hidden=hidden_dim, seed=seed, layer_aux=[a.item() for a in layer_aux], margins=margins)
    return tensors, info


def minimind2_parameter_count():
    """Builds the full-size MiniMind2 (LMConfig defaults) on the meta device and counts its parameters
    (the tied matrix once)."""
    with torch.device("meta"):
        model = MiniMindForCausalLM(MiniMindConfig())
    count = sum(p.numel() for p in model.parameters())
    assert count == MINIMIND2_PARAMS, count
    c = model.config
    per_layer = sum(p.numel() for p in model.model.layers[0].parameters())
    return dict(count=count, per_layer=per_layer, embedding=c.vocab_size * c.dim, hidden=ffn_hidden_dim(c))


# ----------------------------------------------------------------------------------------------------
# README section

def key_table(tensors):
    dtype = {torch.float32: "f32", torch.int64: "i64"}
    rows = ["| key | dtype | shape |", "| --- | --- | --- |"]
    for k, v in tensors.items():
        rows.append(f"| `{k}` | {dtype[v.dtype]} | {list(v.shape)} |")
    return "\n".join(rows)


def fmt(x):
    return f"{x:.2g}"


def readme_section(files, llama, llama_info, qwen, qwen_info, dense, half, dense_info, moe, moe_info, count):
    sizes = "\n".join(f"| `{n}` | {s:,} |" for n, s in files)
    tf = llama_info["transformers"]
    mapping = "\n".join(f"| `{a}` | `{b}` |" for a, b in MINIMIND2_NAMES + MINIMIND2_MOE_NAMES)
    worst = "\n".join(
        f"| `{name}` | {fmt(i['worst']['logits'])} | {fmt(i['worst']['loss'])} | {fmt(i['worst']['grad'])} |"
        for name, i in (("llama_gqa_tied", llama_info), ("qwen2_bias", qwen_info),
                        ("minimind_dense", dense_info), ("minimind_moe", moe_info)))
    lc, qc = llama_info["config_json"], qwen_info["config_json"]
    return f"""{README_BEGIN}

# Llama, Qwen2 and MiniMind2 fixtures (PyTorch)

Generated by `scripts/make_minimind_fixtures.py` with torch {torch.__version__} and transformers {tf}, on
CPU, float32; do not edit by hand. Regenerate (by hand, never in CI) with

    "$(scripts/setup_python_env.sh --print-python)" scripts/make_minimind_fixtures.py

and commit the result. Files are rewritten only when their tensors, metadata or bytes change, so re-running
on the same machine leaves git clean (another CPU may change the last bits of some values, as it does for
the GPT fixtures). Every file is below {MAX_FILE_BYTES // 1024} KB. Add `--minimind DIR` (a checkout of
jingyaogong/minimind at 7da201a) to also compare the MiniMind files with MiniMind2's own `MiniMindLM`.

| file | bytes |
| --- | ---: |
{sizes}

## Common conventions (these files)

- `idx`, `targets`: int64 (2, 12), random token ids; `targets` is independent of `idx` (**no shift**
  inside the model): `loss = F.cross_entropy(logits.view(-1, 64), targets.view(-1))`, the mean over all
  24 positions, computed by the script (not by the model's own `labels` loss, which would shift).
- `param.<name>`: every entry of `model.named_parameters()` under its PyTorch name. **Tied embeddings**
  (`llama_gqa_tied`, `minimind_*`): the one matrix appears once, as `param.model.embed_tokens.weight`;
  there is **no** `param.lm_head.weight` (the same choice `save_pretrained` makes: the tied
  `lm_head.weight` is absent from `model.safetensors`). The output projection is
  `logits = norm(h) @ model.embed_tokens.weight.T`. `qwen2_bias` is untied and has both.
- `grad.<name>`: gradient of the loss with respect to each parameter, same names as `param.*`, after one
  backward from zero gradients. For tied models `grad.model.embed_tokens.weight` is the sum of both uses.
- Linear weights are (out, in) (`nn.Linear`), no transposes anywhere.
- Values: after the default init, every RMSNorm weight is set to `1 + 0.1·N(0,1)` and every bias (Qwen2's
  q/k/v) to `0.2·N(0,1)` from the seeded generator, so that a loader that skips them fails.
- Dropout is 0 everywhere. The attention is causal with scale 1/sqrt(head_dim); GQA with 4 query heads and
  2 kv heads (head_dim 8): kv head j serves query heads 2j and 2j+1 (`repeat_kv`: each kv head repeated
  n_rep = 2 times in place, not tiled).
- RMSNorm: `weight · x · rsqrt(mean(x²) + eps)`, eps 1e-5, computed in float32. SwiGLU MLP:
  `down_proj(silu(gate_proj(x)) · up_proj(x))`. Pre-norm blocks:
  `h = x + o_proj(attn(input_layernorm(x)))`, `out = h + mlp(post_attention_layernorm(h))`; final
  `model.norm`, then `lm_head`.
- RoPE θ = 1e6 with inverse frequencies `θ^(-2i/8)`, i = 0..3, positions 0..11. Two layouts:
  - **rotate_half** (Hugging Face Llama/Qwen2; MiniMind from 2025-04-26): dims (i, i + 4) of a head form
    a pair: `x·cos + rotate_half(x)·sin`, `rotate_half([x1, x2]) = [-x2, x1]`, cos/sin repeated twice.
  - **interleaved** (MiniMind2): dims (2i, 2i + 1) form a pair, read as the complex number
    `x[2i] + i·x[2i+1]` and multiplied by `e^(i·t·θ^(-2i/8))`.
  Both rotate q and k (after the projections, before `repeat_kv`), never v.
- Metadata: `config` (compact JSON), `model`, `rope_layout`, `seed`, `torch`, `generator`, and
  `transformers` / `attn_implementation` (HF) or `minimind_source` (MiniMind).

### Tolerances (float32)

Compare with `allclose` (`|a − b| ≤ atol + rtol·|b|`): logits atol {TOL['logits'][0]:g}, rtol {TOL['logits'][1]:g};
losses (`loss`, `aux_loss`, `total_loss`) atol {TOL['loss'][0]:g}, rtol {TOL['loss'][1]:g}; gradients atol {TOL['grad'][0]:g},
rtol {TOL['grad'][1]:g} (the defaults of `close` in GPTTests.swift). The script reruns every model in float64 and
asserts that the stored float32 values stay within a tenth of these tolerances; the worst ratio
`|f32 − f64| / (atol + rtol·|f64|)` it measured (1 = at the tolerance):

| file | logits | losses | gradients |
| --- | ---: | ---: | ---: |
{worst}

(For the HF models the float64 rerun still computes RMSNorm and the RoPE tables in float32, as transformers
does.)

## `llama_gqa_tied.safetensors`

`transformers.LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2,
num_attention_heads=4, num_key_value_heads=2, intermediate_size=64, rms_norm_eps=1e-5,
max_position_embeddings=64, initializer_range=0.2, rope_parameters={{"rope_type": "default", "rope_theta": 1e6}},
tie_word_embeddings=True, attention_bias=False, mlp_bias=False, attn_implementation="eager", bos_token_id=1,
eos_token_id=2))`, HF's random init (normal(0, 0.2) for Linear and Embedding weights: larger than the
default 0.02 so that attention is not uniform) after `torch.manual_seed({llama_info['seed']})`, then the norm
perturbation above. `head_dim` 8; q_proj (32, 32), k_proj and v_proj (16, 32), o_proj (32, 32),
gate_proj and up_proj (64, 32), down_proj (32, 64). No biases. `model.train()` (no dropout). RoPE layout
rotate_half. `logits = model(input_ids=idx).logits` (2, 12, 64); `loss` as above; `loss.backward()`.
Tied: see the common conventions (no `param.lm_head.weight`, no `grad.lm_head.weight`).

{key_table(llama)}

## `qwen2_bias.safetensors`

`transformers.Qwen2ForCausalLM(Qwen2Config(...))` with the same sizes and settings as the Llama file but
`tie_word_embeddings=False` (so `param.lm_head.weight` (64, 32) exists, separate from
`param.model.embed_tokens.weight`) and Qwen2's fixed biases: q_proj, k_proj and v_proj have a bias
((32), (16), (16)); o_proj and the MLP have none. Seed {qwen_info['seed']}. No sliding window (`use_sliding_window`
false, `layer_types` all `full_attention`). Same `logits`, `loss`, gradients as the Llama file.

{key_table(qwen)}

## `hf_llama_tiny/` and `hf_qwen2_tiny/`

Hugging Face model folders of the two models above, written by `save_pretrained` (transformers {tf}):
`config.json` exactly as written (`generation_config.json`, also written, is left out) and
`model.safetensors` (safetensors metadata `{{"format": "pt"}}`, keys without the `param.` prefix, equal to
the `param.*` tensors of `llama_gqa_tied` / `qwen2_bias`; the script checks this and that
`from_pretrained` on the folder gives the same logits); sizes in the table above. Notes for a loader:

- transformers 5 writes RoPE settings as `"rope_parameters": {json.dumps(lc['rope_parameters'])}` and no top-level
  `rope_theta` (transformers 4 wrote `"rope_theta": 1000000.0`); accept both.
- `tie_word_embeddings` is `{json.dumps(lc['tie_word_embeddings'])}` for Llama and the tied `lm_head.weight` is **not** in
  `model.safetensors`; `{json.dumps(qc['tie_word_embeddings'])}` for Qwen2, which stores `lm_head.weight`.
- `head_dim` is written for Llama ({lc.get('head_dim')}), not for Qwen2 (hidden_size / num_attention_heads = 8).
- `"dtype": "{lc.get('dtype')}"`, `"model_type"`: `{lc['model_type']}` / `{qc['model_type']}`, `"architectures"`: `{lc['architectures']}` / `{qc['architectures']}`.
- Qwen2's q/k/v biases are implied by `model_type` `qwen2` (no config key); Llama's by `attention_bias` (false).

## `minimind_dense.safetensors`

MiniMind2 restated from `{MINIMIND_SOURCE}`, with Hugging Face Llama parameter names
(MiniMind2's own names are mapped in the table below, for a loader that accepts both).
Config (MiniMind's `LMConfig` fields): dim 32, n_layers 2, n_heads 4, n_kv_heads 2 (head_dim 8), vocab_size
64, hidden_dim by MiniMind's rule `multiple_of·ceil(int(2·4·dim/3)/multiple_of)` with multiple_of 64 =
**{dense_info['hidden']}**, norm_eps 1e-5, rope_theta 1e6, dropout 0, no biases, tied embeddings
(`tok_embeddings.weight = output.weight`). Metadata `rope_layout` = `interleaved`.

- Init: MiniMind2 has none of its own: PyTorch's kaiming-uniform `nn.Linear` init (the tied matrix is the
  output Linear's, bound 1/sqrt(32)), seed {dense_info['seed']}, modules created in MiniMind2's order; then the
  RMSNorm perturbation above.
- RMSNorm in float32 and cast back (`weight · norm(x.float()).type_as(x)`); eps 1e-5.
- RoPE: MiniMind2's `precompute_pos_cis(head_dim=8, end=32768, theta=1e6)`:
  `freqs = 1/θ^(arange(0, 8, 2)/8)`, `pos_cis = polar(1, outer(t, freqs))` (complex64, (T, 4)); then
  `apply_rotary_emb`: `view_as_complex(x.float().reshape(..., 4, 2)) · pos_cis`, `view_as_real`, flatten —
  the **interleaved** pairs (2i, 2i+1).
- Attention: MiniMind2's flash path, `F.scaled_dot_product_attention(q, k, v, is_causal=True)` after
  `repeat_kv`; `o_proj` on the heads merged back to (B, T, 32).
- FFN: `down_proj(silu(gate_proj(x)) · up_proj(x))` (w2(silu(w1 x)·w3 x)), 32 → {dense_info['hidden']} → 32.
- `logits`: forward with `logits_to_keep=0` (all positions), (2, 12, 64); `loss` = mean CE over the 24
  positions (MiniMind's `train_pretrain.py` masked mean with an all-ones mask, no aux loss);
  `logits_last`: forward with `logits_to_keep=1`: `output(norm(h)[:, -1:, :])`, (2, 1, 64) (equal to
  `logits[:, -1:, :]`).
- Cross-checks done by the script: the same weights in `transformers.LlamaForCausalLM` (intermediate_size
  {dense_info['hidden']}, tied) give the `minimind_dense_rotate_half` logits (max difference
  {dense_info['d_half']:.1e}), and, after reordering the rows of every q_proj/k_proj weight per head from the
  interleaved to the rotate-half order (new row i ← old row 2i, new row 4 + i ← old row 2i + 1, for
  i = 0..3, in each head's block of 8 rows), they give this file's `logits` (max difference
  {dense_info['d_inter']:.1e}). That permutation is how a MiniMind2 checkpoint converts to HF Llama.
- Checked against MiniMind2's own code: loaded under MiniMind2's names (table below) into `MiniMindLM`
  from jingyaogong/minimind@7da201a (`--minimind DIR`), the weights give the same logits, loss and
  gradients (to 1e-6; identical on the machine that generated them), and `torch.manual_seed(seed)`
  followed by `MiniMindLM(LMConfig(...))` gives exactly the initial weights of this restatement (before
  the RMSNorm perturbation). The same holds for `minimind_moe` (MiniMind2's float16 expert buffer against
  `fp16_experts.*`; with that buffer patched to float32, against the main keys and every gradient).

MiniMind2 (7da201a) names → names used here (`model_minimind.py` from a62faf3 uses these same names;
N = layer, E = expert):

| MiniMind2 `model/model.py` | here (HF Llama, `model_minimind.py`) |
| --- | --- |
{mapping}

MiniMind2's `state_dict()` lists the tied matrix twice (`tok_embeddings.weight` and `output.weight`);
it has no persistent buffers (`pos_cis` and the attention mask are non-persistent).

{key_table(dense)}

## `minimind_dense_rotate_half.safetensors`

The weights of `minimind_dense.safetensors` (its `param.*`; not repeated here) run with the rotate-half
RoPE layout that MiniMind uses from the April 2025 rewrite (`model_minimind.py`, a62faf3:
`precompute_freqs_cis` → cos and sin each concatenated twice, `apply_rotary_pos_emb` with `rotate_half`)
and HF Llama uses. Everything else is identical. Metadata `rope_layout` = `rotate_half`. The logits differ
from the interleaved ones by up to {dense_info['d_layout']:.2f}, so a test tells the layouts apart.

{key_table(half)}

## `minimind_moe.safetensors`

The MiniMind2 model above with MiniMind2's MoE FFN in every layer (`use_moe=True`; `LMConfig` defaults:
n_routed_experts 4, num_experts_per_tok 2, n_shared_experts 1, scoring_func softmax, norm_topk_prob true,
aux_loss_alpha 0.1, seq_aux true), in **training mode**, seed {moe_info['seed']}. **hidden_dim = {moe_info['hidden']}**
(set explicitly, as `LMConfig(hidden_dim=...)` allows, for routed and shared experts alike) instead of the
rule's 128: with five 32×128 SwiGLUs per layer the parameters and gradients would not fit in 300 KB.

- Gate (`mlp.gate.weight`, (4, 32), kaiming-uniform a=√5): for the B·T = 24 rows x of the (normed) input,
  `scores = softmax(x @ gate.weight.T)` (24, 4); `topk_weight, topk_idx = topk(scores, 2)`; top-k weights
  renormalised: `topk_weight / (sum + 1e-20)`.
- Routed experts (training path): `x.repeat_interleave(2)` (row 2r + j is token r's j-th choice);
  expert e runs on the rows routed to it; `y = sum_j topk_weight[r, j] · expert_{{topk_idx[r, j]}}(x_r)`.
  Shared expert: `y += shared_experts.0(x)` for every token.
- Aux loss per layer (seq_aux): for each sequence b, `load[b, e] = count of e among b's 12·2 choices /
  (12·2/4)` (a constant, no gradient), `aux_l = 0.1 · mean_b sum_e load[b, e] · mean_t scores[b, t, e]`.
  `aux_loss = aux_0 + aux_1` (MiniMind's `sum(l.feed_forward.aux_loss for l in layers)`); in eval mode the
  gate returns 0 instead.
  `loss` = CE only (as in the dense file); `total_loss = loss + aux_loss` (what `train_pretrain.py`
  backpropagates, before dividing by accumulation_steps); `grad.*` are gradients of `total_loss`. The gate
  weight gets gradient from both the top-k weights and the aux loss.
- Every expert receives tokens in both layers (choices per expert: layer 0 {moe_info['counts'][0]}, layer 1
  {moe_info['counts'][1]}), so every parameter has a non-zero gradient. No token is near a routing tie:
  per token, the second-best score exceeds the third by at least {min(moe_info['margins']):.3f} (layer 0
  {moe_info['margins'][0]:.3f}, layer 1 {moe_info['margins'][1]:.3f}), far above float32 noise.
- Float16: MiniMind2 (7da201a, and model_minimind.py until 5129f0e, 2025-12) collects the routed-expert
  outputs in `torch.empty_like(x, dtype=torch.float16)`, so in training mode they are rounded to float16
  before the weighted sum. The main keys use the float32 buffer (the later fix, `dtype=x.dtype`), which the
  eval path (`moe_infer`, float32 throughout) also matches (max logits difference {moe_info['d_eval']:.1e}).
  `fp16_experts.*` hold MiniMind2's float16 behaviour exactly (same weights and batch, forward only):
  logits differ from `logits` by up to {moe_info['d_fp16']:.1e}; routing {'is the same' if moe_info['same_routing'] else 'differs'}.
- `route.N.*` (layer N, for debugging): `scores` (24, 4) softmax gate scores (row = b·12 + t);
  `topk_idx` (24, 2) the two chosen experts, highest score first; `topk_weight` (24, 2) their renormalised
  weights in that order; `load` (2, 4) the per-sequence `load[b, e]` above; `aux_loss` that layer's aux loss
  ({', '.join(f'{a:.6f}' for a in moe_info['layer_aux'])}).
- Names: MiniMind's later `model_minimind.py` (a62faf3) names are used: `mlp.gate.weight`,
  `mlp.experts.E.{{gate_proj,up_proj,down_proj}}.weight`, `mlp.shared_experts.0.{{gate_proj,up_proj,down_proj}}.weight`.
  MiniMind2 itself names the shared expert `feed_forward.shared_experts.{{w1,w2,w3}}.weight` (no index):
  see the mapping table above.

{key_table(moe)}

## MiniMind2's parameter count

The script builds the full-size MiniMind2 (`LMConfig` defaults: dim 512, n_layers 8, n_heads 8,
n_kv_heads 2, vocab_size 6400, hidden_dim {count['hidden']}, tied embeddings) on the meta device, without saving
anything, and asserts **{count['count']:,}** parameters (the tied matrix counted once): embedding
{count['embedding']:,} + 8 × {count['per_layer']:,} per layer (attention 655,360, FFN 2,162,688, two norms 1,024) + final
norm 512.

{README_END}
"""


def write_readme_section(text):
    old = README.read_text() if README.exists() else ""
    if README_BEGIN in old:
        start = old.index(README_BEGIN)
        end = old.index(README_END, start) + len(README_END)
        new = old[:start] + text.strip("\n") + old[end:]
    else:
        new = old.rstrip("\n") + "\n\n" + text.strip("\n") + "\n"
    if new != old:
        README.write_text(new)


def check_against_minimind(repo):
    """Loads the two MiniMind fixtures into MiniMind2's own MiniMindLM (repo/model/model.py at 7da201a),
    under MiniMind2's names, and compares initial weights (same seed), logits, losses and gradients.
    MiniMind2's training path rounds routed-expert outputs to float16, so its MoE logits are compared with
    fp16_experts.*, and its gradients after a run with torch.empty_like patched to keep float32."""
    import re
    from safetensors.torch import load_file
    sys.path.insert(0, str(Path(repo).resolve()))
    from model.LMConfig import LMConfig
    from model.model import MiniMindLM

    def ours(name):
        for theirs, mine in MINIMIND2_NAMES + MINIMIND2_MOE_NAMES:
            pattern = "^" + re.escape(theirs).replace(r"\.N\.", r"\.(?P<N>\d+)\.").replace(r"\.E\.", r"\.(?P<E>\d+)\.") + "$"
            m = re.match(pattern, name)
            if m:
                groups = m.groupdict()
                mine = mine.replace(".N.", f".{groups['N']}.") if "N" in groups else mine
                return mine.replace(".E.", f".{groups['E']}.") if "E" in groups else mine
        raise KeyError(name)

    report = []
    for file_name, moe, seed, hidden in (("minimind_dense", False, 2103, None), ("minimind_moe", True, 2114, 24)):
        f = load_file(str(OUT_DIR / f"{file_name}.safetensors"))
        lm_config = LMConfig(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=64, max_seq_len=64,
                             norm_eps=1e-5, rope_theta=1e6, use_moe=moe, hidden_dim=hidden)
        torch.manual_seed(seed)
        real = MiniMindLM(lm_config)
        torch.manual_seed(seed)
        mine = MiniMindForCausalLM(MiniMindConfig(**TINY, use_moe=moe, hidden_dim=hidden)).state_dict()
        state = real.state_dict()
        assert all(torch.equal(v, mine[ours(k)]) for k, v in state.items()), f"{file_name}: initial weights differ"
        real.load_state_dict({k: f["param." + ("model.embed_tokens.weight" if ours(k) == "lm_head.weight" else ours(k))]
                              for k in state}, strict=True)
        real.train()
        original_empty_like = torch.empty_like
        for keep_float32 in ((False, True) if moe else (False,)):
            real.zero_grad(set_to_none=True)
            if keep_float32:  # the 5129f0e fix: the routed-expert buffer in x.dtype
                torch.empty_like = lambda x, dtype=None, **kw: original_empty_like(x, dtype=x.dtype, **kw)
            try:
                out = real(f["idx"])
            finally:
                torch.empty_like = original_empty_like
            loss = cross_entropy(out.logits, f["targets"])
            (loss + out.aux_loss).backward()
            prefix = "fp16_experts." if moe and not keep_float32 else ""
            d = max((out.logits - f[prefix + "logits"]).abs().max().item(), (loss - f[prefix + "loss"]).abs().item())
            if moe:
                d = max(d, (out.aux_loss - f[prefix + "aux_loss"]).abs().item())
            if not moe or keep_float32:
                d = max(d, max((p.grad - f["grad." + ours(k)]).abs().max().item() for k, p in real.named_parameters()))
            assert d < 1e-6, (file_name, keep_float32, d)
            report.append(f"{file_name}{' (float32 expert buffer)' if keep_float32 else ''}: max difference {d:.1e}")
    return report


def main():
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minimind", metavar="DIR", help="checkout of jingyaogong/minimind at 7da201a to compare with")
    args = parser.parse_args()
    torch.set_num_threads(1)  # fewer sources of run-to-run variation in float reductions
    torch.use_deterministic_algorithms(True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    llama, llama_info = hf_fixture("llama", "llama_gqa_tied.safetensors", "hf_llama_tiny", seed=2101)
    qwen, qwen_info = hf_fixture("qwen2", "qwen2_bias.safetensors", "hf_qwen2_tiny", seed=2102)
    dense, half, dense_info = minimind_dense_fixture(seed=2103)
    moe, moe_info = minimind_moe_fixture(seed=2114, hidden_dim=24)
    count = minimind2_parameter_count()
    files = [("llama_gqa_tied.safetensors", llama_info["size"]), ("qwen2_bias.safetensors", qwen_info["size"]),
             ("minimind_dense.safetensors", dense_info["size"]),
             ("minimind_dense_rotate_half.safetensors", dense_info["size_half"]),
             ("minimind_moe.safetensors", moe_info["size"])]
    for folder, info in (("hf_llama_tiny", llama_info), ("hf_qwen2_tiny", qwen_info)):
        files += [(f"{folder}/{f}", s) for f, s in info["folder_sizes"].items()]
    write_readme_section(readme_section(files, llama, llama_info, qwen, qwen_info, dense, half, dense_info,
                                        moe, moe_info, count))
    for n, s in files:
        print(f"{OUT_DIR.relative_to(ROOT)}/{n}: {s:,} bytes")
    print(f"float64 check (worst |f32-f64| / tolerance): " + ", ".join(
        f"{k} {i['worst']}" for k, i in (("llama", llama_info), ("qwen2", qwen_info), ("dense", dense_info),
                                          ("moe", moe_info))))
    print(f"minimind dense: HF Llama rotate-half diff {dense_info['d_half']:.2e}, permuted interleaved diff "
          f"{dense_info['d_inter']:.2e}, layouts differ by {dense_info['d_layout']:.3f}")
    print(f"minimind moe: expert choices per layer {moe_info['counts']}, eval-path diff {moe_info['d_eval']:.2e}, "
          f"fp16-experts diff {moe_info['d_fp16']:.2e}, same routing {moe_info['same_routing']}, "
          f"top-k margins {moe_info['margins']}, "
          f"aux per layer {moe_info['layer_aux']}")
    print(f"MiniMind2 parameters: {count['count']:,}")
    print(f"{README.relative_to(ROOT)}: section updated")
    if args.minimind:
        for line in check_against_minimind(args.minimind):
            print(f"MiniMind2's own MiniMindLM vs {line}")


if __name__ == "__main__":
    main()
