#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures for Mnemo's token memory-bank layer (the ExplicitLM / MiniMind fork's
FFN replacement) into Tests/MnemoModelsTests/Fixtures/memory/.

What it does
    Restates, in PyTorch and for one layer in isolation, the memory layer described in
    /work/shared/research/minimind.md §2-3 (input: the attention output h_attn of a block), in two versions:
      faithful  ExplicitLM 1.4.10: raw product-key scores (which get no gradient), cosine re-ranking of the k
                candidates, straight-through hard Gumbel-softmax (tau 1) on cos + Gumbel noise
      working   the fixed formulation: cosine product-key scores, logits pk + cos / exp(log_tau) with a learned
                log_tau, so that gate_proj and keys are trained; selection soft (softmax) or top1
                (straight-through one-hot of the same softmax)
    the pointer readout (memory_readout = "pointer": each selected row proposes the token after its longest match
    with the query's last c tokens, an exact rule written here as plain loops; the copy distribution is mixed with
    the model's softmax by a sigmoid gate, log-probabilities out) in memory_pointer.safetensors,
    and the EMA update of the bank after an optimizer step, in token space (faithful, as upstream: argmax
    re-tokenisation, which collapses rows toward one token) and in feature space (working: a float delta cache).
    It runs one forward and backward pass per layer file on CPU in float32 and stores inputs, parameters,
    intermediates, outputs, losses and every gradient:
      memory_faithful.safetensors, memory_working_soft.safetensors, memory_working_top1.safetensors,
      memory_ema.safetensors
    plus Tests/MnemoModelsTests/Fixtures/memory/README.md, which documents every key and formula (the contract
    the Swift tests follow). Each file stays below MAX_FILE_BYTES; the script fails otherwise.

What it does not do
    It imports no project code, downloads nothing (everything is drawn from fixed seeds) and never runs in CI:
    the Swift tests only read the committed files.

How to run it (by hand)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_memory_fixtures.py

    A file is rewritten only when its tensors or metadata change (the README only when its text changes), so
    re-running on the same machine leaves git clean. Then commit the regenerated files.

Checks done before writing: every top-k, argmax and re-tokenisation decision is at least DECISION_MARGIN away
from a tie (seeds are advanced until it is, so float32 rounding differences in Swift cannot flip an index); the
product-key candidates equal a brute-force top-k over all N = n^2 row scores; embedding_bag equals an explicit
masked mean; a float64 rerun gives the same indices and gradients within tolerance; in the faithful file keys and
gate_proj get no gradient at all (grad is None), in the working files they, and log_tau, get nonzero gradients;
the pad row of the embedding never gets gradient; the EMA results equal a per-row loop in upstream's style.
"""

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures_safetensors import save_fixture  # noqa: E402  (rewrite only on change)

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "Tests" / "MnemoModelsTests" / "Fixtures" / "memory"
MAX_FILE_BYTES = 100 * 1024
GENERATOR = "scripts/make_memory_fixtures.py"

B, T = 2, 5  # batch, sequence length
DIM = 16  # model width d
KEY_DIM = 8  # dk (two halves of 4)
KEYS_PER_HALF = 8  # n; N = n^2 bank rows
ROWS = KEYS_PER_HALF ** 2
ROW_LENGTH = 4  # L tokens per bank row
CANDIDATES = 4  # k
VOCAB = 40  # V
PAD_ID = 0
SIM_WEIGHT = 0.1
DIV_WEIGHT = 0.05
RMS_EPS = 1e-5
NORMALIZE_EPS = 1e-12  # F.normalize of the product-key halves and keys (working)
COS_EPS = 1e-8  # F.cosine_similarity and F.normalize in the diversity loss
GUMBEL_TAU = 1.0
LOG_TAU_INIT = math.log(0.1) + 0.05  # perturbed from log(0.1) so that a wrong init shows
DECISION_MARGIN = 1e-4
MAX_SEED_TRIES = 1000

# EMA
EMA_DECAY = 0.9
FREEZE_RATIO = 0.2
EMA_UPDATES = 30  # M (token, layer) pairs gathered for one update
EMA_EMBED_STD = 0.02
EMA_DELTA_STD = 0.01

# name -> (base seed, version, selection)
CASES = {
    "faithful": (6101, "faithful", "gumbel"),
    "working_soft": (6102, "working", "soft"),
    "working_top1": (6103, "working", "top1"),
}
EMA_SEED = 6104


def config_json(version, selection, **extra):
    d = {"dim": DIM, "key_dim": KEY_DIM, "keys_per_half": KEYS_PER_HALF, "rows": ROWS, "row_length": ROW_LENGTH,
         "candidates": CANDIDATES, "vocab": VOCAB, "pad_id": PAD_ID, "version": version, "selection": selection,
         "sim_weight": SIM_WEIGHT, "div_weight": DIV_WEIGHT, **extra}
    return json.dumps(d, separators=(",", ":"))


# ----------------------------------------------------------------------------------------------------
# The memory layer (written for this script; names follow ExplicitLM's MemoryGate / GatedMemoryFusion)

class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS) * self.weight


class GatedMemoryFusion(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate_proj = nn.Linear(2 * dim, dim, bias=False)
        self.up_proj = nn.Linear(2 * dim, dim, bias=False)
        self.down_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, u):
        return self.down_proj(F.silu(self.gate_proj(u)) * self.up_proj(u))


def embedding_bag_mean(rows, embedding):
    """(..., L) token ids -> (..., d): mean of the non-pad embeddings (zeros for an all-pad row)."""
    shape = rows.shape[:-1]
    out = F.embedding_bag(rows.reshape(-1, rows.shape[-1]).long(), embedding, mode="mean", padding_idx=PAD_ID)
    return out.view(*shape, embedding.shape[-1])


def product_key_candidates(s1, s2, k):
    """(pk, idx) from the two half scores (..., n): top-k of each, top-k of the k*k sums."""
    n = s1.shape[-1]
    v1, i1 = s1.topk(k, dim=-1)
    v2, i2 = s2.topk(k, dim=-1)
    c = v1[..., :, None] + v2[..., None, :]
    pk, j = c.flatten(-2).topk(k, dim=-1)
    idx = i1.gather(-1, j // k) * n + i2.gather(-1, j % k)
    return pk, idx, c


class MemoryLayer(nn.Module):
    def __init__(self, version, selection):
        super().__init__()
        assert (version, selection) in {("faithful", "gumbel"), ("working", "soft"), ("working", "top1")}
        self.version, self.selection = version, selection
        self.memory_norm = RMSNorm(DIM)
        self.gate_proj = nn.Linear(DIM, KEY_DIM, bias=False)
        self.keys = nn.Parameter(torch.randn(2, KEYS_PER_HALF, KEY_DIM // 2))
        self.fusion = GatedMemoryFusion(DIM)
        if version == "working":
            self.log_tau = nn.Parameter(torch.tensor(math.log(0.1)))

    def scores(self, h_attn):
        q = self.memory_norm(h_attn)
        z = self.gate_proj(q)
        z1, z2 = z[..., :KEY_DIM // 2], z[..., KEY_DIM // 2:]
        k1, k2 = self.keys[0], self.keys[1]
        if self.version == "working":
            z1, z2 = F.normalize(z1, dim=-1, eps=NORMALIZE_EPS), F.normalize(z2, dim=-1, eps=NORMALIZE_EPS)
            k1, k2 = F.normalize(k1, dim=-1, eps=NORMALIZE_EPS), F.normalize(k2, dim=-1, eps=NORMALIZE_EPS)
        return q, z1 @ k1.T, z2 @ k2.T

    def forward(self, h_attn, embedding, bank, gumbel=None, cot=None):
        k = CANDIDATES
        q, s1, s2 = self.scores(h_attn)
        pk, idx, c = product_key_candidates(s1, s2, k)
        m = embedding_bag_mean(bank[idx], embedding)  # (B, T, k, d)
        cos = F.cosine_similarity(q[..., None, :], m, dim=-1, eps=COS_EPS)  # (B, T, k)
        if self.selection == "gumbel":
            logits = cos + gumbel
            y = torch.softmax(logits / GUMBEL_TAU, dim=-1)
            hard = F.one_hot(y.argmax(-1), k).to(y.dtype)
            w = hard - y.detach() + y
        else:
            logits = pk + cos / torch.exp(self.log_tau)
            p = torch.softmax(logits, dim=-1)
            if self.selection == "soft":
                w = p
            else:
                w = F.one_hot(logits.argmax(-1), k).to(p.dtype) - p.detach() + p
        sel = (w[..., None] * m).sum(-2)  # (B, T, d)
        out = self.fusion(torch.cat([q, sel], dim=-1))
        loss_sim = -(w * cos).sum(-1).mean()
        mh = F.normalize(m, dim=-1, eps=COS_EPS)
        g = mh @ mh.transpose(-1, -2)  # (B, T, k, k)
        off = (g.sum((-1, -2)) - g.diagonal(dim1=-2, dim2=-1).sum(-1)) / (k * (k - 1))
        loss_div = off.mean()
        objective = (out * cot).sum() + SIM_WEIGHT * loss_sim + DIV_WEIGHT * loss_div
        selected_index = idx.gather(-1, w.argmax(-1, keepdim=True)).squeeze(-1)
        return dict(q=q, scores1=s1, scores2=s2, pk=pk, candidates=idx, memory=m, cos=cos, logits=logits,
                    weights=w, selected=sel, out=out, loss_sim=loss_sim, loss_div=loss_div, objective=objective,
                    selected_index=selected_index, pair_sums=c)


# ----------------------------------------------------------------------------------------------------
# Writing files

def save(name, tensors, metadata):
    """Writes OUT_DIR/name only when its tensors or metadata change (fixtures_safetensors.save_fixture)."""
    return save_fixture(OUT_DIR / name, tensors, metadata, MAX_FILE_BYTES)


def check_dtypes(tensors, ints):
    for k, v in tensors.items():
        if k in ints:
            assert v.dtype == ints[k], (k, v.dtype)
        else:
            assert v.dtype == torch.float32, (k, v.dtype)
            assert torch.isfinite(v).all(), k


# ----------------------------------------------------------------------------------------------------
# Memory layer fixtures

def top_gap(x, count):
    """Smallest gap between neighbouring values among the `count` largest along the last dim."""
    top = x.topk(count, dim=-1).values
    return (top[..., :-1] - top[..., 1:]).min().item()


def make_bank(candidates, gen_note):
    """Random bank (ids 1..V-1) with pads placed so that the candidate rows exercise every pad case:
    one candidate row all pads, candidate rows with 1, 2 and 3 trailing pads, one candidate row with a pad in the
    middle; about a quarter of the other rows get 1-3 trailing pads; one non-candidate row is all pads."""
    bank = torch.randint(1, VOCAB, (ROWS, ROW_LENGTH), dtype=torch.int64)
    for r in range(ROWS):
        if torch.rand(()) < 0.25:
            npad = int(torch.randint(1, ROW_LENGTH, ()))
            bank[r, ROW_LENGTH - npad:] = PAD_ID
    cand = torch.unique(candidates)
    others = torch.tensor([r for r in range(ROWS) if r not in set(cand.tolist())], dtype=torch.int64)
    assert len(cand) >= 5 and len(others) >= 1
    pick = cand[torch.randperm(len(cand))[:5]].tolist()
    special = {"all_pad": pick[0], "trailing_1": pick[1], "trailing_2": pick[2], "trailing_3": pick[3],
               "middle_pad": pick[4]}
    bank[pick[0]] = PAD_ID
    for npad, r in zip((1, 2, 3), pick[1:4]):
        bank[r] = torch.randint(1, VOCAB, (ROW_LENGTH,))
        bank[r, ROW_LENGTH - npad:] = PAD_ID
    bank[pick[4]] = torch.randint(1, VOCAB, (ROW_LENGTH,))
    bank[pick[4], 1] = PAD_ID
    extra = int(others[torch.randint(0, len(others), ())])
    bank[extra] = PAD_ID
    special["all_pad_non_candidate"] = extra
    gen_note.update(special)
    return bank.to(torch.int32)


def draw(seed, version, selection):
    """Parameters and inputs for one seed, in a fixed order of draws."""
    torch.manual_seed(seed)
    layer = MemoryLayer(version, selection)  # RMSNorm ones, Linear kaiming-uniform, keys randn
    with torch.no_grad():
        layer.memory_norm.weight.add_(torch.randn(DIM) * 0.1)
        if version == "working":
            layer.log_tau.fill_(LOG_TAU_INIT)
    embedding = torch.randn(VOCAB, DIM)
    h_attn = torch.randn(B, T, DIM)
    cot = torch.randn(B, T, DIM)
    gumbel = None
    if selection == "gumbel":
        u = torch.rand(B, T, CANDIDATES).clamp(1e-6, 1 - 1e-6)
        gumbel = -torch.log(-torch.log(u))
    with torch.no_grad():
        _, s1, s2 = layer.scores(h_attn)
        _, idx, _ = product_key_candidates(s1, s2, CANDIDATES)
    special = {}
    bank = make_bank(idx, special)
    return layer, embedding, h_attn, cot, gumbel, bank, special


def run_layer(layer, embedding, h_attn, cot, gumbel, bank):
    layer.zero_grad(set_to_none=True)
    embedding = embedding.clone().requires_grad_(True)
    h_attn = h_attn.clone().requires_grad_(True)
    out = layer(h_attn, embedding, bank, gumbel, cot)
    out["objective"].backward()
    grads = {"h_attn": h_attn.grad, "embedding": embedding.grad}
    for n, p in layer.named_parameters():
        grads[n] = p.grad
    return out, grads


def margins(out, version):
    k = CANDIDATES
    m = {
        "scores1": top_gap(out["scores1"], k + 1),
        "scores2": top_gap(out["scores2"], k + 1),
        "pair_sums": top_gap(out["pair_sums"].flatten(-2), k + 1),
        "logits": top_gap(out["logits"], 2),
    }
    return m


def layer_fixture(name):
    base, version, selection = CASES[name]
    for attempt in range(MAX_SEED_TRIES):
        seed = base + 1000 * attempt
        layer, embedding, h_attn, cot, gumbel, bank, special = draw(seed, version, selection)
        with torch.no_grad():
            probe = layer(h_attn, embedding, bank, gumbel, cot)
        mg = margins(probe, version)
        if min(mg.values()) >= DECISION_MARGIN:
            break
    else:
        raise AssertionError(f"{name}: no seed with all margins >= {DECISION_MARGIN}")

    out, grads = run_layer(layer, embedding, h_attn, cot, gumbel, bank)
    k, n = CANDIDATES, KEYS_PER_HALF
    idx = out["candidates"]

    # Product keys: the same candidates (and order) as a brute-force top-k over all N row scores.
    full = (out["scores1"][..., :, None] + out["scores2"][..., None, :]).flatten(-2)  # row i*n + j
    bv, bi = full.topk(k, dim=-1)
    assert torch.equal(bi, idx) and torch.allclose(bv, out["pk"]), name
    assert all(len(set(r)) == k for r in idx.view(-1, k).tolist()), "candidates are distinct rows"
    # embedding_bag == explicit masked mean (zeros for an all-pad row)
    toks = bank[idx].long()
    mask = (toks != PAD_ID).float()[..., None]
    manual = (embedding[toks] * mask).sum(-2) / mask.sum(-2).clamp(min=1)
    assert torch.allclose(manual, out["memory"], atol=1e-6), name
    assert (out["memory"][bank[idx].long().eq(PAD_ID).all(-1)] == 0).all()
    assert bool((bank[idx] == PAD_ID).all(-1).any()), f"{name}: the all-pad row is a candidate"
    # selection
    w = out["weights"]
    top = out["logits"].argmax(-1)
    assert torch.equal(w.argmax(-1), top)
    assert torch.equal(out["selected_index"], idx.gather(-1, top[..., None]).squeeze(-1))
    if selection != "soft":
        assert torch.allclose(w, F.one_hot(top, k).float(), atol=1e-6), name
    assert torch.allclose(w.sum(-1), torch.ones(B, T), atol=1e-6)
    # gradients
    if version == "faithful":
        assert grads["keys"] is None and grads["gate_proj.weight"] is None, "faithful: coarse stage untrained"
    else:
        for pn in ("keys", "gate_proj.weight", "log_tau"):
            assert grads[pn] is not None and grads[pn].abs().max() > 0, (name, pn)
    for gn, g in grads.items():
        if g is not None:
            assert torch.isfinite(g).all(), (name, gn)
            if gn not in ("embedding",):
                assert g.abs().max() > 0, (name, gn)
    assert (grads["embedding"][PAD_ID] == 0).all(), "the pad row of E never gets gradient"

    # float64 rerun: same indices, values and gradients within tolerance.
    layer64 = MemoryLayer(version, selection).double()
    layer64.load_state_dict({kk: v.double() for kk, v in layer.state_dict().items()})
    out64, grads64 = run_layer(layer64, embedding.double(), h_attn.double(), cot.double(),
                               None if gumbel is None else gumbel.double(), bank)
    for key in ("candidates", "selected_index"):
        assert torch.equal(out[key], out64[key]), (name, key)
    for key in ("q", "pk", "memory", "cos", "logits", "weights", "selected", "out", "loss_sim", "loss_div",
                "objective"):
        assert torch.allclose(out[key].detach().double(), out64[key].detach(), rtol=1e-4, atol=1e-5), (name, key)
    for gn, g in grads.items():
        if g is None:
            assert grads64[gn] is None
            continue
        assert torch.allclose(g.double(), grads64[gn], rtol=1e-3, atol=1e-5), (name, gn)

    tensors = {"h_attn": h_attn, "embedding": embedding}
    for pn, p in layer.state_dict().items():
        tensors[f"param.{pn}"] = p
    tensors["bank"] = bank
    if gumbel is not None:
        tensors["gumbel"] = gumbel
    tensors["cot"] = cot
    for key in ("q", "scores1", "scores2", "pk", "candidates", "memory", "cos", "logits", "weights", "selected",
                "selected_index", "out", "loss_sim", "loss_div", "objective"):
        tensors[key] = out[key]
    for gn, g in grads.items():
        if g is not None:
            tensors[f"grad.{gn}"] = g
    tensors = {kk: v.detach() for kk, v in tensors.items()}
    check_dtypes(tensors, {"bank": torch.int32, "candidates": torch.int64, "selected_index": torch.int64})
    metadata = {
        "config": config_json(version, selection),
        "seed": str(seed),
        "torch": torch.__version__,
        "generator": GENERATOR,
    }
    fname = f"memory_{name}.safetensors"
    size = save(fname, tensors, metadata)
    mg = margins(out, version)
    info = {"file": fname, "size": size, "seed": seed, "version": version, "selection": selection,
            "margin": min(mg.values()), "special": special,
            "all_pad_selected": bool((bank[out["selected_index"]] == PAD_ID).all(-1).any()),
            "distinct_selected": len(set(out["selected_index"].flatten().tolist()))}
    return tensors, info


# ----------------------------------------------------------------------------------------------------
# EMA fixture

def rms(x):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS)


def ema_draw(seed):
    torch.manual_seed(seed)
    n_frozen = int(FREEZE_RATIO * ROWS)
    embedding = torch.randn(VOCAB, DIM) * EMA_EMBED_STD
    bank = torch.randint(1, VOCAB, (ROWS, ROW_LENGTH), dtype=torch.int64)
    for r in range(ROWS):
        if torch.rand(()) < 0.25:
            npad = int(torch.randint(1, ROW_LENGTH, ()))
            bank[r, ROW_LENGTH - npad:] = PAD_ID
    frozen = torch.zeros(ROWS, dtype=torch.uint8)
    frozen[:n_frozen] = 1
    # 18 distinct touched rows: 4 frozen, 14 unfrozen; then 12 repeats of them (at least one frozen and three
    # unfrozen rows repeated), shuffled.
    fr = torch.randperm(n_frozen)[:4]
    un = n_frozen + torch.randperm(ROWS - n_frozen)[:14]
    distinct = torch.cat([fr, un])
    repeats = torch.cat([fr[:1], un[:3], distinct[torch.randint(0, len(distinct), (8,))]])
    flat_index = torch.cat([distinct, repeats])
    flat_index = flat_index[torch.randperm(len(flat_index))]
    assert len(flat_index) == EMA_UPDATES
    # pad cases among touched rows: one unfrozen all-pad row, one unfrozen with 2 trailing pads, one frozen
    # all-pad row (kept as is by both updates).
    bank[un[4]] = PAD_ID
    bank[un[5]] = torch.randint(1, VOCAB, (ROW_LENGTH,))
    bank[un[5], ROW_LENGTH - 2:] = PAD_ID
    bank[fr[1]] = PAD_ID
    flat_query = rms(torch.randn(EMA_UPDATES, DIM))
    delta_before = torch.randn(ROWS, DIM) * EMA_DELTA_STD * (1 - frozen.float())[:, None]
    special = {"all_pad_unfrozen": int(un[4]), "trailing_2_unfrozen": int(un[5]), "all_pad_frozen": int(fr[1])}
    return embedding, bank.to(torch.int32), frozen, flat_index, flat_query, delta_before, special


def ema_update(embedding, bank, frozen, flat_index, flat_query, delta_before, gamma):
    with torch.no_grad():
        u, inv = torch.unique(flat_index, sorted=True, return_inverse=True)
        sums = torch.zeros(len(u), DIM).index_add_(0, inv, flat_query)
        cnt = torch.bincount(inv, minlength=len(u))
        mean = sums / cnt[:, None].to(sums.dtype)
        keep = frozen[u] == 0
        # faithful: token space
        old = embedding[bank[u].long()]  # (U, L, d), pads included (E[0])
        new = gamma * old + (1 - gamma) * mean[:, None, :]
        token_logits = new @ embedding.T  # (U, L, V)
        tokens = token_logits.argmax(-1)
        bank_faithful = bank.clone()
        bank_faithful[u[keep]] = tokens[keep].to(torch.int32)
        # working: feature space
        decoded = embedding_bag_mean(bank[u], embedding)
        feat_old = decoded + delta_before[u]
        feat_new = gamma * feat_old + (1 - gamma) * mean
        delta_after = delta_before.clone()
        delta_after[u[keep]] = (feat_new - decoded)[keep]
    return dict(unique_rows=u, mean_query=mean, token_logits=token_logits, faithful_tokens=tokens.to(torch.int32),
                bank_faithful=bank_faithful, decoded=decoded, feature_after=feat_new, delta_after=delta_after,
                keep=keep)


def ema_loop_check(embedding, bank, frozen, flat_index, flat_query, delta_before, gamma, r):
    """The same update one row at a time, upstream's style (dict of lists, per-row argmax)."""
    groups = {}
    for i, row in enumerate(flat_index.tolist()):
        groups.setdefault(row, []).append(flat_query[i])
    bank2, delta2 = bank.clone(), delta_before.clone()
    for row in sorted(groups):
        hbar = torch.stack(groups[row]).mean(0)
        if frozen[row]:
            continue
        toks = [int(t) for t in bank[row].tolist()]
        for pos, t in enumerate(toks):
            v = gamma * embedding[t] + (1 - gamma) * hbar
            bank2[row, pos] = int(torch.argmax(embedding @ v))
        live = [embedding[t] for t in toks if t != PAD_ID]
        dec = torch.stack(live).mean(0) if live else torch.zeros(DIM)
        delta2[row] = gamma * (dec + delta_before[row]) + (1 - gamma) * hbar - dec
    assert torch.equal(bank2, r["bank_faithful"]), "EMA faithful: loop disagrees"
    assert torch.allclose(delta2, r["delta_after"], atol=1e-6), "EMA working: loop disagrees"


def ema_fixture():
    gamma = EMA_DECAY
    for attempt in range(MAX_SEED_TRIES):
        seed = EMA_SEED + 1000 * attempt
        embedding, bank, frozen, flat_index, flat_query, delta_before, special = ema_draw(seed)
        r = ema_update(embedding, bank, frozen, flat_index, flat_query, delta_before, gamma)
        margin = top_gap(r["token_logits"][r["keep"]], 2)  # only the re-tokenisations that are written back
        if margin >= DECISION_MARGIN:
            break
    else:
        raise AssertionError(f"EMA: no seed with re-tokenisation margin >= {DECISION_MARGIN}")
    ema_loop_check(embedding, bank, frozen, flat_index, flat_query, delta_before, gamma, r)
    u, keep = r["unique_rows"], r["keep"]
    n_frozen = int(FREEZE_RATIO * ROWS)
    assert bool((~keep).any()) and bool(keep.any())
    counts = torch.bincount(flat_index, minlength=ROWS)
    assert bool((counts[:n_frozen] > 1).any()) and int((counts[n_frozen:] > 1).sum()) >= 3
    assert torch.equal(r["bank_faithful"][:n_frozen], bank[:n_frozen])
    assert torch.equal(r["delta_after"][:n_frozen], delta_before[:n_frozen])
    untouched = torch.ones(ROWS, dtype=torch.bool)
    untouched[u] = False
    assert torch.equal(r["bank_faithful"][untouched], bank[untouched])
    assert torch.equal(r["delta_after"][untouched], delta_before[untouched])
    changed = int((r["bank_faithful"] != bank).sum())
    written = int(keep.sum()) * ROW_LENGTH
    # collapse: the most common new token per written row
    rows_new = r["bank_faithful"][u[keep]]
    one_token_rows = int(sum(len(set(row)) == 1 for row in rows_new.tolist()))
    target = (r["mean_query"][keep] @ embedding.T).argmax(-1)  # argmax E·h̄ per written row
    at_target = int((rows_new == target[:, None].to(torch.int32)).sum())
    pads_overwritten = int(((bank[u[keep]] == PAD_ID) & (rows_new != PAD_ID)).sum())
    pads_created = int(((bank[u[keep]] != PAD_ID) & (rows_new == PAD_ID)).sum())

    tensors = {
        "embedding": embedding, "bank": bank, "frozen": frozen, "flat_index": flat_index, "flat_query": flat_query,
        "decay": torch.tensor(gamma, dtype=torch.float32), "unique_rows": u, "mean_query": r["mean_query"],
        "faithful_tokens": r["faithful_tokens"], "bank_faithful": r["bank_faithful"],
        "delta_before": delta_before, "decoded": r["decoded"], "feature_after": r["feature_after"],
        "delta_after": r["delta_after"],
    }
    check_dtypes(tensors, {"bank": torch.int32, "frozen": torch.uint8, "flat_index": torch.int64,
                           "unique_rows": torch.int64, "faithful_tokens": torch.int32,
                           "bank_faithful": torch.int32})
    metadata = {
        "config": config_json("faithful+working", "none", decay=gamma, freeze_ratio=FREEZE_RATIO),
        "decay": str(gamma),
        "seed": str(seed),
        "changed_positions": str(changed),
        "torch": torch.__version__,
        "generator": GENERATOR,
    }
    fname = "memory_ema.safetensors"
    size = save(fname, tensors, metadata)
    info = {"file": fname, "size": size, "seed": seed, "margin": margin, "changed": changed, "written": written,
            "one_token_rows": one_token_rows, "written_rows": int(keep.sum()), "at_target": at_target,
            "pads_overwritten": pads_overwritten, "pads_created": pads_created, "unique": len(u), "frozen_touched": int((~keep).sum()),
            "special": special}
    return tensors, info


# ----------------------------------------------------------------------------------------------------
# Pointer readout fixture

PTR_SEED = 6105
PTR_B, PTR_T, PTR_K, PTR_L, PTR_V, PTR_D, PTR_C = 2, 7, 4, 6, 12, 8, 3
PTR_EXTRA = 2  # selection logits beyond the k rows: the weights of the k rows sum to less than 1 (dense top-k)


def pointer_align(tokens, idx, c):
    """Plain loops: for each (b, t, r) the first row position j of the longest match (at most c) of row[j], row[j-1],
    ... against idx[b, t], idx[b, t-1], ..., counted only where row[j+1] is not a pad; pads and positions before the
    row's or the sequence's start never match. next = row[j+1] and strength = m / c, or 0 and 0 without a match."""
    B, T, K, L = tokens.shape
    nxt = torch.zeros(B, T, K, dtype=torch.int64)
    strength = torch.zeros(B, T, K)
    for b in range(B):
        for t in range(T):
            for r in range(K):
                row = tokens[b, t, r].tolist()
                best_m, best_j = 0, None
                for j in range(L - 1):
                    if row[j + 1] == PAD_ID:
                        continue
                    m = 0
                    for i in range(c):
                        if j - i < 0 or t - i < 0 or row[j - i] == PAD_ID or row[j - i] != int(idx[b, t - i]):
                            break
                        m += 1
                    if m > best_m:
                        best_m, best_j = m, j
                if best_m > 0:
                    nxt[b, t, r] = row[best_j + 1]
                    strength[b, t, r] = best_m / c
    return nxt, strength


def pointer_mix(logits, gate_logit, weights, nxt, strength):
    g = torch.sigmoid(gate_logit)                                         # (B, T, 1)
    pointed = weights * strength                                          # (B, T, k)
    copy = (pointed[..., None] * F.one_hot(nxt, logits.shape[-1]).to(logits.dtype)).sum(-2)   # (B, T, V)
    kept = g + (1 - g) * (1 - pointed.sum(-1, keepdim=True))
    p = kept * torch.softmax(logits, -1) + (1 - g) * copy
    return p.clamp_min(1e-20).log(), p


def pointer_fixture():
    B, T, K, L, V, D, C = PTR_B, PTR_T, PTR_K, PTR_L, PTR_V, PTR_D, PTR_C
    gen = torch.Generator().manual_seed(PTR_SEED)
    idx = torch.randint(1, V, (B, T), generator=gen)
    idx[1, 3] = PAD_ID  # a pad in the text: it never matches (rows' pads do not count)
    tokens = torch.randint(1, V, (B, T, K, L), generator=gen)
    tokens[torch.rand(B, T, K, L, generator=gen) < 0.15] = PAD_ID
    cases = {}
    for b in range(B):
        for t in range(2, T):
            x = [int(idx[b, t - 2]), int(idx[b, t - 1]), int(idx[b, t])]
            if PAD_ID in x:
                continue
            o = int(torch.randint(1, V, (1,), generator=gen))
            tokens[b, t, 0] = torch.tensor(x + [o] + [PAD_ID] * (L - 4))                   # the fact row: full match
            tokens[b, t, 1, 2:5] = torch.tensor([99, x[2], o])                             # partial match (1 of 3) at j=3
            tokens[b, t, 1, 2] = (x[1] % (V - 1)) + 1 if (x[1] % (V - 1)) + 1 != x[1] else (x[1] + 1) % (V - 1) + 1
            cases.setdefault("full", (b, t))
    # special rows at fixed places
    b, t = 0, 4
    x = [int(idx[b, t - 2]), int(idx[b, t - 1]), int(idx[b, t])]
    tokens[b, t, 2] = torch.tensor([x[0], x[1], x[2], PAD_ID, x[1], x[2]])   # match followed by a pad, then at the end: nothing
    tokens[b, t, 3] = torch.tensor([x[2], 5, x[1], x[2], 7, x[2]])            # j=3 (m=2) beats j=0 (m=1)
    b, t = 1, 1
    tokens[b, t, 2] = torch.tensor([int(idx[1, 0]), int(idx[1, 1]), 3, int(idx[1, 1]), 4, PAD_ID])  # tie-free m=2 at j=1 (t-2 < 0)
    tokens[b, t, 3] = torch.tensor([int(idx[1, 1]), 6, int(idx[1, 1]), 8, PAD_ID, PAD_ID])         # tie m=1 at j=0 and j=2: first
    tokens = tokens.clamp(max=V - 1)
    logits = torch.randn(B, T, V, generator=gen).requires_grad_()
    hidden = torch.randn(B, T, D, generator=gen).requires_grad_()
    gate_weight = (0.3 * torch.randn(1, D, generator=gen)).requires_grad_()
    gate_bias = (0.1 * torch.randn(1, generator=gen)).requires_grad_()
    selection_logits = (2 * torch.randn(B, T, K + PTR_EXTRA, generator=gen)).requires_grad_()
    cot = torch.randn(B, T, V, generator=gen)
    weights = torch.softmax(selection_logits, -1)[..., :K]
    nxt, strength = pointer_align(tokens, idx, C)
    gate_logit = hidden @ gate_weight.T + gate_bias
    log_probs, p = pointer_mix(logits, gate_logit, weights, nxt, strength)
    assert torch.allclose(p.sum(-1), torch.ones(B, T), atol=1e-5)
    objective = (log_probs * cot).sum()
    objective.backward()
    n_full = int((strength == 1).sum())
    n_partial = int(((strength > 0) & (strength < 1)).sum())
    n_none = int((strength == 0).sum())
    assert n_full >= 5 and n_partial >= 5 and n_none >= 5, (n_full, n_partial, n_none)
    tensors = {
        "idx": idx, "tokens": tokens.to(torch.int32), "logits": logits.detach(), "hidden": hidden.detach(),
        "param.gate.weight": gate_weight.detach(), "param.gate.bias": gate_bias.detach(),
        "selection_logits": selection_logits.detach(), "cot": cot, "next": nxt, "strength": strength,
        "gate_logit": gate_logit.detach(), "log_probs": log_probs.detach(),
        "grad.logits": logits.grad, "grad.hidden": hidden.grad, "grad.gate.weight": gate_weight.grad,
        "grad.gate.bias": gate_bias.grad, "grad.selection_logits": selection_logits.grad,
    }
    check_dtypes(tensors, {"idx": torch.int64, "tokens": torch.int32, "next": torch.int64})
    config = json.dumps({"vocab": V, "dim": D, "candidates": K, "row_length": L, "pad_id": PAD_ID, "match_length": C,
                         "extra_selection_logits": PTR_EXTRA}, separators=(",", ":"))
    metadata = {"config": config, "seed": str(PTR_SEED), "torch": torch.__version__, "generator": GENERATOR}
    fname = "memory_pointer.safetensors"
    size = save(fname, tensors, metadata)
    return tensors, {"file": fname, "size": size, "full": n_full, "partial": n_partial, "none": n_none}


# ----------------------------------------------------------------------------------------------------
# README

def key_table(tensors):
    dtype = {torch.float32: "f32", torch.int64: "i64", torch.int32: "i32", torch.uint8: "u8"}
    rows = ["| key | dtype | shape |", "| --- | --- | --- |"]
    for k, v in tensors.items():
        rows.append(f"| `{k}` | {dtype[v.dtype]} | {list(v.shape)} |")
    return "\n".join(rows)


def write_readme(layer_results, ema_result, pointer_result):
    all_info = [info for _, info in layer_results.values()] + [ema_result[1], pointer_result[1]]
    pi = pointer_result[1]
    sizes = "\n".join(f"| `{i['file']}` | {i['size']:,} |" for i in all_info)
    cases = "\n".join(
        f"| `{i['file']}` | {i['version']} | {i['selection']} | {i['seed']} | {i['margin']:.2e} | "
        f"{i['special']['all_pad']} | {i['special']['trailing_1']}, {i['special']['trailing_2']}, "
        f"{i['special']['trailing_3']} | {i['special']['middle_pad']} | "
        f"{'yes' if i['all_pad_selected'] else 'no'} |"
        for _, i in layer_results.values())
    key_sections = "\n\n".join(f"### `{i['file']}`\n\n{key_table(t)}" for t, i in layer_results.values())
    e = ema_result[1]
    es = e["special"]
    n_frozen = int(FREEZE_RATIO * ROWS)
    text = f"""# Memory-bank layer reference fixtures (PyTorch)

Generated by `scripts/make_memory_fixtures.py` with torch {torch.__version__} on CPU, float32; do not edit by
hand. Regenerate (by hand, never in CI) with

    "$(scripts/setup_python_env.sh --print-python)" scripts/make_memory_fixtures.py

and commit the result. A file is rewritten only when its tensors or metadata change. The Swift tests only read
these files. Every file is below {MAX_FILE_BYTES // 1024} KB. The layer is the token memory bank that replaces the
FFN in the ExplicitLM fork of MiniMind (`/work/shared/research/minimind.md` §2-3), restated here for **one layer in
isolation**: its input is the attention output `h_attn` of a block (the block adds `out` to its residual; that
is not part of these fixtures). Where this README and upstream differ, this README is the contract.

| file | bytes |
| --- | ---: |
{sizes}

## Sizes and notation

B = {B}, T = {T}, d = {DIM} (`dim`), dk = {KEY_DIM} (`key_dim`, halves of {KEY_DIM // 2}), n = {KEYS_PER_HALF}
(`keys_per_half`), N = n² = {ROWS} bank rows (`rows`), L = {ROW_LENGTH} tokens per row (`row_length`),
k = {CANDIDATES} candidates (`candidates`), V = {VOCAB} (`vocab`), pad id {PAD_ID}. `E` = `embedding` (V, d), the
tied token embedding, a parameter (gradients reach it). Metadata of every file: `config` (compact JSON:
`{config_json("faithful|working", "gumbel|soft|top1")}`; the EMA file has `"version":"faithful+working"`,
`"selection":"none"` and also `"decay":{EMA_DECAY}`, `"freeze_ratio":{FREEZE_RATIO}`), `seed`, `torch`, `generator`.

## The memory layer (`memory_faithful`, `memory_working_soft`, `memory_working_top1`)

Parameters (`param.<name>`, exactly `state_dict()` of the script's module): `memory_norm.weight` (d),
`gate_proj.weight` (dk, d), `keys` (2, n, dk/2), `fusion.gate_proj.weight` (d, 2d), `fusion.up_proj.weight`
(d, 2d), `fusion.down_proj.weight` (d, d) (all Linears without bias, `y = x Wᵀ`), and in the working files
`log_tau` (0-d).

1. `q = RMSNorm(h_attn) = h_attn * rsqrt(mean(h_attn², -1) + {RMS_EPS}) * memory_norm.weight` (B, T, d) → `q`.
2. `z = q gate_projᵀ` (B, T, dk); `z1 = z[..., :dk/2]`, `z2 = z[..., dk/2:]`.
   - faithful: `s1 = z1 keys[0]ᵀ`, `s2 = z2 keys[1]ᵀ` (raw dot products).
   - working: `s1 = normalize(z1) normalize(keys[0])ᵀ`, `s2` likewise (cosine); `normalize(x) =
     x / max(‖x‖₂, {NORMALIZE_EPS})` along the last dim (`F.normalize`).
   → `scores1`, `scores2` (B, T, n).
3. `(v1, i1) = topk(s1, k)`, `(v2, i2) = topk(s2, k)` (largest first). `C = v1[..., :, None] + v2[..., None, :]`
   (B, T, k, k); `(pk, j) = topk(C.flatten(-2), k)` (largest first, so `pk` is descending);
   `idx = i1.gather(-1, j // k) * n + i2.gather(-1, j % k)` → `candidates` (B, T, k) int64, `pk` (B, T, k).
   This equals the top-k over all N row scores `s1[i] + s2[j]` of row `i·n + j` (checked), so the candidates of
   a token are distinct. In the working version `pk` carries gradient to `keys` and `gate_proj` (through `v1`,
   `v2`); in the faithful version `pk` is computed but unused.
4. Decode: `m = F.embedding_bag(bank[idx].view(-1, L).long(), E, mode="mean", padding_idx=0).view(B, T, k, d)`
   → `memory`: the mean of the embeddings of the row's **non-pad** tokens (a pad anywhere in the row is left
   out, not only trailing ones), the zero vector for an all-pad row. No gradient ever reaches `E[0]`.
5. `cos = F.cosine_similarity(q[..., None, :], m, dim=-1, eps=1e-8)` → `cos` (B, T, k). torch {torch.__version__}
   computes it as `(a / max(‖a‖, eps)) · (b / max(‖b‖, eps))`; only the all-pad candidate (m = 0, cos = 0)
   reaches the eps. Its gradient with respect to that `m` is `q̂ / eps` (about 1e8, finite), which the
   all-pad embedding bag then discards (no non-pad token to pass it to); its gradient with respect to `q` is 0.
6. Selection weights `w` (B, T, k) → `weights`; pre-softmax logits → `logits`:
   - faithful (`selection` "gumbel", ExplicitLM 1.4.10): `logits = cos + gumbel`; `y = softmax(logits / 1.0)`;
     `w = onehot(argmax y) − y.detach() + y` (straight-through hard Gumbel-softmax, τ = 1). `gumbel` is stored.
   - working soft: `logits = ℓ = pk + cos / exp(log_tau)`; `w = softmax(ℓ)`.
   - working top1: `ℓ` as above; `p = softmax(ℓ)`; `w = onehot(argmax ℓ) − p.detach() + p`.
   The stored `w` of the hard selections is the computed float value (1 − y + y etc.), one-hot within 1e-6.
7. `sel = Σ_k w_k m_k` (B, T, d) → `selected`.
8. `u = cat([q, sel], -1)` (B, T, 2d); `out = fusion.down_proj(silu(fusion.gate_proj(u)) * fusion.up_proj(u))`
   → `out` (B, T, d) (no dropout).
9. `loss_sim = −mean_(B,T)(Σ_k w_k cos_k)`; `loss_div = mean_(B,T)((ΣG − trace G) / (k(k−1)))` with
   `m̂ = F.normalize(m, dim=-1, eps=1e-8)`, `G = m̂ m̂ᵀ` (B, T, k, k) (an all-pad candidate has `m̂ = 0`).
10. `objective = (out * cot).sum() + {SIM_WEIGHT} * loss_sim + {DIV_WEIGHT} * loss_div`; one `objective.backward()` from no
    gradients.

`selected_index` (B, T) int64 = `idx.gather(-1, argmax(w))`: the top-1 bank row per token (soft: the row of
the largest weight; always the argmax of `logits`).

Gradients: `grad.h_attn`, `grad.embedding`, and `grad.<name>` for every parameter **that gets one**. In
`memory_faithful` `keys` and `gate_proj.weight` get **no gradient at all** (`.grad is None`, asserted): the top-k
indices carry none and the scores are not used after them, so there are no `grad.keys` /
`grad.gate_proj.weight` keys in that file (a Swift implementation should report none or zeros there). In the
working files `grad.keys`, `grad.gate_proj.weight` and `grad.log_tau` are nonzero (asserted). `grad.embedding`
row 0 (the pad id) is exactly zero in every file; rows of tokens in no candidate row are zero too.

### Initialisation and inputs

After `torch.manual_seed(seed)`, in this order: the module (`memory_norm.weight` ones, Linears nn.Linear's
default kaiming-uniform, `keys = torch.randn(2, n, dk/2)`; working: `log_tau`), then `memory_norm.weight +=
0.1·randn(d)`; working: `log_tau = log(0.1) + 0.05 = {LOG_TAU_INIT:.7f}` (τ = {math.exp(LOG_TAU_INIT):.5f}; perturbed
so that a wrong init shows); `embedding = randn(V, d)`; `h_attn = randn(B, T, d)`; `cot = randn(B, T, d)`;
faithful: `gumbel = −log(−log(U))`, `U = rand(B, T, k).clamp(1e-6, 1 − 1e-6)`. Then the candidates are computed
(they do not depend on the bank) and the bank is drawn: `randint(1, V, (N, L))`, about a quarter of the rows
get 1-3 trailing pads, then among the candidate rows one is made **all pads**, three get 1, 2 and 3
trailing pads, one gets a pad in the **middle** (position 1), and one non-candidate row is made all pads.
`bank` is stored as int32. Every top-k (the k+1 largest of `scores1`, `scores2` and of `C.flatten(-2)`) and the
argmax of `logits` have neighbouring values at least {DECISION_MARGIN} apart (asserted; the seed is `base +
1000·attempt`, the first that passes), so float32 rounding cannot flip an index. A float64 rerun gives the
same indices, and values and gradients within rtol 1e-3 / atol 1e-5 (checked).

| file | version | selection | seed | min margin | all-pad candidate row | 1/2/3 trailing pads | middle pad | all-pad row selected |
| --- | --- | --- | ---: | ---: | ---: | --- | ---: | --- |
{cases}

### Keys

{key_sections}

## The EMA update (`memory_ema.safetensors`)

After an optimizer step, under `no_grad`, for one update over M = {EMA_UPDATES} gathered (token, layer) pairs:

- Inputs: `embedding` (V, d) = `{EMA_EMBED_STD}·randn`; `bank` (N, L) int32 (random ids 1..V−1, a quarter of the
  rows with 1-3 trailing pads; touched rows {es['all_pad_unfrozen']} (unfrozen) and {es['all_pad_frozen']} (frozen) are all
  pads, touched unfrozen row {es['trailing_2_unfrozen']} has 2 trailing pads); `frozen` (N) uint8, `frozen[:int({FREEZE_RATIO}·N)] = 1`
  (rows 0..{n_frozen - 1}); `flat_index` (M) int64, the selected row of each pair: {e['unique']} distinct rows ({e['frozen_touched']}
  frozen), with repeats of frozen and unfrozen rows; `flat_query` (M, d) = `RMSNorm(randn(M, d))` (weight 1,
  eps {RMS_EPS}: RMS 1); `decay` γ = {EMA_DECAY} (0-d tensor and metadata `decay`).
- Mean query per touched row: `u, inv = torch.unique(flat_index, sorted=True, return_inverse=True)`;
  `sums = zeros(len(u), d).index_add_(0, inv, flat_query)`; `cnt = bincount(inv)`; `mean = sums / cnt[:, None]`
  → `unique_rows` (U) int64, `mean_query` (U, d).
- **faithful** (token space, as upstream): `old = E[bank[u].long()]` (U, L, d) (pads included: `E[0]`);
  `new = γ·old + (1−γ)·mean[:, None, :]`; `tokens = argmax(new Eᵀ, -1)` (U, L) → `faithful_tokens` (int32, for
  every touched row, frozen ones included); `bank_faithful` (N, L) int32 = `bank` with `bank[u[r]] = tokens[r]`
  for every touched row r that is **not** frozen; every position is re-tokenised, pads included. Every written
  argmax has its top two logits at least {DECISION_MARGIN} apart (margin here {e['margin']:.2e}; seed `base + 1000·attempt`).
- **working** (feature space): `delta_before` (N, d) = `{EMA_DELTA_STD}·randn` on unfrozen rows, 0 on frozen rows (a
  stand-in for an already-running cache, so that a wrong formula shows); `decoded =
  embedding_bag(bank[u].long(), E, mode="mean", padding_idx=0)` (U, d) → `decoded`; `feat_old = decoded +
  delta[u]`; `feat_new = γ·feat_old + (1−γ)·mean` → `feature_after` (U, d, every touched row); `delta_after` =
  `delta_before` with `delta[u[r]] = feat_new[r] − decoded[r]` for every touched row r not frozen.
- Both updates start from the same `bank`; untouched and frozen rows are unchanged (asserted), and both agree
  with a per-row loop in upstream's style (checked).

The collapse (research note §3.2): with E std {EMA_EMBED_STD} (‖e‖ ≈ {EMA_EMBED_STD * math.sqrt(DIM):.2f}) and RMS-normed queries
(‖h̄‖ ≈ {math.sqrt(DIM):.0f} for a single query), `(1−γ)·h̄` dominates `γ·old`. **{e['changed']} of the {e['written']} written
positions** ({e['written_rows']} unfrozen touched rows × L) changed token (metadata `changed_positions`); {e['at_target']} of the
{e['written']} now hold their row's `argmax(E h̄)` token, {e['one_token_rows']} of the {e['written_rows']} rows became one repeated token, {e['pads_overwritten']} pads
were overwritten by real tokens, and {e['pads_created']} real token(s) became the pad id 0 (the argmax runs over all V ids, pad
included, as upstream).

{key_table(ema_result[0])}

## The pointer readout (`memory_pointer.safetensors`)

`memory_readout = "pointer"`, restated for the head alone: B = {PTR_B}, T = {PTR_T}, k = {PTR_K} rows per position,
L = {PTR_L}, V = {PTR_V}, d = {PTR_D}, c = {PTR_C} (`match_length`), pad id {PAD_ID}. Metadata `config`:
`vocab`, `dim`, `candidates`, `row_length`, `pad_id`, `match_length`, `extra_selection_logits` ({PTR_EXTRA}).

- Inputs: `idx` (B, T) int64, the sequence (one pad at [1, 3]: it never matches); `tokens` (B, T, k, L) int32, the
  k rows each position reads (random ids, about 15% pads, plus rows built to match: a full match `x_{{t-2}} x_{{t-1}}
  x_t o pad…`, partial matches, a match followed by a pad, a longer match beating a shorter one, a tie, a match
  reaching before the sequence's start); `logits` (B, T, V) the head's; `hidden` (B, T, d) the final hidden
  state; `param.gate.weight` (1, d), `param.gate.bias` (1); `selection_logits` (B, T, k + {PTR_EXTRA}); `cot` (B, T, V).
- `w = softmax(selection_logits)[..., :k]` (the k rows' weights; they sum to less than 1, as dense retrieval's k
  rows of largest weight).
- Alignment (exact rule, no gradient), written as plain loops: for each (b, t, r), over row positions j = 0..L−2
  with `row[j+1]` not a pad, `m_j` = the number of consecutive matches `row[j−i] = idx[b, t−i]` for i = 0, 1, …
  (at most c; stopping at a pad, at j − i < 0 or t − i < 0); the row points at the **first** j of largest `m_j`;
  `next` = row[j+1] and `strength` = m_j / c, or `next` = 0 and `strength` = 0 when no position matches
  → `next` (B, T, k) int64, `strength` (B, T, k). Here {pi['full']} full, {pi['partial']} partial and {pi['none']} empty proposals.
- `gate_logit = hidden gate.weightᵀ + gate.bias` (B, T, 1) → `gate_logit`; `g = sigmoid(gate_logit)`.
- `copy[v] = Σ_r w_r strength_r [next_r = v]` (one-hot sum); `M = Σ_r w_r strength_r`;
  `p = (g + (1 − g)(1 − M)) softmax(logits) + (1 − g) copy` (sums to 1, checked);
  `log_probs = log(max(p, 1e-20))` (B, T, V).
- `objective = (log_probs * cot).sum()`, one backward: `grad.logits`, `grad.hidden`, `grad.gate.weight`,
  `grad.gate.bias`, `grad.selection_logits`.

{key_table(pointer_result[0])}
"""
    path = OUT_DIR / "README.md"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def main():
    torch.set_num_threads(1)  # fewer sources of run-to-run variation in float reductions
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    layer_results = {name: layer_fixture(name) for name in CASES}
    ema = ema_fixture()
    pointer = pointer_fixture()
    write_readme(layer_results, ema, pointer)
    for _, info in layer_results.values():
        print(f"{OUT_DIR.relative_to(ROOT)}/{info['file']}: {info['size']:,} bytes, seed {info['seed']}, "
              f"margin {info['margin']:.2e}, special rows {info['special']}, "
              f"all-pad selected {info['all_pad_selected']}, distinct selected {info['distinct_selected']}")
    e = ema[1]
    print(f"{OUT_DIR.relative_to(ROOT)}/{e['file']}: {e['size']:,} bytes, seed {e['seed']}, margin {e['margin']:.2e}, "
          f"changed {e['changed']}/{e['written']} positions, one-token rows {e['one_token_rows']}/{e['written_rows']}, "
          f"at argmax(E h) {e['at_target']}, pads overwritten {e['pads_overwritten']}, pads created {e['pads_created']}")
    pi = pointer[1]
    print(f"{OUT_DIR.relative_to(ROOT)}/{pi['file']}: {pi['size']:,} bytes, proposals full {pi['full']}, partial {pi['partial']}, none {pi['none']}")
    print(f"{(OUT_DIR / 'README.md').relative_to(ROOT)} written")


if __name__ == "__main__":
    main()
