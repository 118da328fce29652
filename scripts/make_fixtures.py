#!/usr/bin/env python3
"""Generates the PyTorch reference fixtures that Mnemo's Swift tests compare against.

What it does
    Runs small PyTorch computations (forward and backward) on CPU with fixed seeds and writes the
    inputs, outputs and gradients as safetensors files into Tests/TorchTests/Fixtures/, one file per
    family of ops (unary, binary, matmul, reduce, shape, index, nn, loss, modules, optimizers,
    random numbers), together with Tests/TorchTests/Fixtures/README.md, which documents every case:
    its inputs, the exact PyTorch expression (scalar arguments included), its outputs and its
    gradients. That README is the contract the Swift tests follow. Finally it calls
    write_safetensors_fixtures() from scripts/fixtures_safetensors.py (if present) for
    Tests/SafeTensorsTests/Fixtures/.

How to run it (by hand, never in CI)
    "$(scripts/setup_python_env.sh --print-python)" scripts/make_fixtures.py

    then commit the regenerated files. The Swift tests never need Python: they only read the
    committed fixtures.

Conventions (see the generated README for the full text)
    In each op file a case named C stores C.in0, C.in1, ... (inputs in call order), C.out, C.out1, ...
    (outputs), and for differentiable cases C.cot (cotangent shaped like C.out) and C.grad<i> =
    d/d in<i> of (C.out * C.cot).sum() for the floating-point inputs that have a gradient. Scalar
    arguments are not stored; each case's expression fixes them.
"""

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent
TORCH_FIXTURES = ROOT / "Tests" / "TorchTests" / "Fixtures"
SAFETENSORS_FIXTURES = ROOT / "Tests" / "SafeTensorsTests" / "Fixtures"
MAX_FILE_BYTES = 100 * 1024  # fixtures stay small; the script fails if a file grows past this

f32, f64, i64 = torch.float32, torch.float64, torch.int64
DTYPE_NAMES = {torch.float32: "f32", torch.float64: "f64", torch.int64: "i64", torch.bool: "bool"}


# ----------------------------------------------------------------------------------------------------
# Input helpers (all draw from the global CPU generator, which each family reseeds with 0)

def randn(*shape, dtype=f32):
    return torch.randn(*shape, dtype=dtype)


def positive(*shape, dtype=f32):
    """Values in [0.25, 1.75): safe for log, sqrt, rsqrt, reciprocal, pow bases."""
    return torch.rand(*shape, dtype=dtype) * 1.5 + 0.25


def away_from_zero(*shape, dtype=f32):
    """Magnitudes in [0.5, 1.5) with random signs: safe divisors."""
    sign = torch.randint(0, 2, shape).to(dtype) * 2 - 1
    return sign * (torch.rand(*shape, dtype=dtype) + 0.5)


def distinct(*shape, dtype=f32):
    """Pairwise distinct values (gaps >= 0.5 before scaling), none near zero: no ties for
    max/min/sort/topk, well-defined gradients for abs, prod and norms. Roughly in [-2, 2]."""
    n = math.prod(shape)
    v = torch.randperm(n).to(dtype) + 0.25 + 0.5 * torch.rand(n, dtype=dtype) - n / 2
    return (v * (4.0 / n)).reshape(shape)


def small_ints_as_float(*shape):
    """Floats holding small integers, so comparisons hit equality often."""
    return torch.randint(-2, 3, shape).to(f32)


def bool_mask(*shape):
    return torch.rand(*shape) < 0.5


def index(values):
    return torch.tensor(values, dtype=i64)


def describe(t):
    return f"{tuple(t.shape)} {DTYPE_NAMES[t.dtype]}"


# ----------------------------------------------------------------------------------------------------
# A fixture file

class Family:
    """Collects the tensors of one safetensors file plus the documentation of its content."""

    def __init__(self, name, description):
        self.name = name
        self.description = description
        self.tensors = {}
        self.cases = []   # rows for the README table (op files)
        self.notes = []   # free-form README lines (module, optim and random files)
        self.checked = 0  # how many stored tensors are results a test compares against
        torch.manual_seed(0)  # every family starts from the same seed, independent of the others

    def put(self, key, tensor, checked=False):
        """Stores a tensor; `checked` marks a result (as opposed to an input or a cotangent)."""
        assert key not in self.tensors, f"duplicate key {self.name}:{key}"
        self.tensors[key] = tensor.detach().clone().contiguous()
        self.checked += checked

    def case(self, name, fn, inputs, grad=True, cot=None, grads=None):
        """Runs the PyTorch expression `fn` (a string over in0, in1, ..., torch, F, math) on
        `inputs` and stores C.in*, C.out*, and if `grad`, C.cot and C.grad*.

        cot:   the cotangent (default: standard normal shaped like the first output).
        grads: the input positions that get a stored gradient (default: every floating-point
               input). Gradients flow from the first output only.
        """
        assert all(f"{name}.{s}" not in self.tensors for s in ("in0", "out")), name
        leaves = []
        for i, t in enumerate(inputs):
            t = t.detach().clone()
            if grad and t.is_floating_point() and (grads is None or i in grads):
                t.requires_grad_(True)
            leaves.append(t)
            self.put(f"{name}.in{i}", t)

        scope = {"torch": torch, "F": F, "math": math}
        scope.update({f"in{i}": t for i, t in enumerate(leaves)})
        result = eval(fn, scope)
        outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        for j, o in enumerate(outputs):
            self.put(f"{name}.out" if j == 0 else f"{name}.out{j}", o, checked=True)

        grad_names = []
        if grad:
            out = outputs[0]
            assert out.is_floating_point(), f"{name}: gradient of a non-float output"
            if cot is None:
                cot = torch.randn(out.shape, dtype=out.dtype)
            assert cot.shape == out.shape and cot.dtype == out.dtype, name
            self.put(f"{name}.cot", cot)
            wrt = [(i, t) for i, t in enumerate(leaves) if t.requires_grad]
            assert wrt, f"{name}: no differentiable input"
            gs = torch.autograd.grad((out * cot).sum(), [t for _, t in wrt])
            for (i, _), g in zip(wrt, gs):
                assert g is not None, f"{name}: no gradient for in{i}"
                self.put(f"{name}.grad{i}", g, checked=True)
                grad_names.append(f"grad{i}")

        self.cases.append({
            "name": name,
            "inputs": ", ".join(f"in{i} {describe(t)}" for i, t in enumerate(inputs)),
            "expr": fn,
            "outputs": ", ".join(("out" if j == 0 else f"out{j}") + f" {describe(o)}"
                                 for j, o in enumerate(outputs)),
            "grads": ", ".join(grad_names) if grad else "—",
        })

    def note(self, line):
        self.notes.append(line)

    def write(self, out_dir):
        path = out_dir / f"{self.name}.safetensors"
        metadata = {"family": self.description, "torch": torch.__version__,
                    "generator": "scripts/make_fixtures.py"}
        if self.cases:
            metadata["cases"] = ",".join(c["name"] for c in self.cases)
        save_file(self.tensors, str(path), metadata=metadata)
        canonicalize_header(path)
        path.chmod(0o644)  # safetensors creates files readable by the owner only
        size = path.stat().st_size
        assert size <= MAX_FILE_BYTES, f"{path.name} is {size} bytes (limit {MAX_FILE_BYTES})"
        return path, size


def canonicalize_header(path):
    """safetensors writes its metadata map in arbitrary order (a hash map), so two runs would give
    different bytes; rewrite the JSON header with sorted metadata so that regenerating the fixtures
    is byte-for-byte reproducible. Data offsets are relative to the end of the header and stay valid."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keep the data 8-byte aligned, as safetensors does
    path.write_bytes(len(text).to_bytes(8, "little") + text + raw[8 + n:])


# ----------------------------------------------------------------------------------------------------
# 1. Elementwise unary ops

def unary():
    fam = Family("unary", "elementwise unary ops, forward and backward")
    cases = [
        ("exp", "torch.exp(in0)", randn),
        ("log", "torch.log(in0)", positive),
        ("log1p", "torch.log1p(in0)", positive),
        ("expm1", "torch.expm1(in0)", randn),
        ("sqrt", "torch.sqrt(in0)", positive),
        ("rsqrt", "torch.rsqrt(in0)", positive),
        ("abs", "torch.abs(in0)", randn),
        ("neg", "torch.neg(in0)", randn),
        ("tanh", "torch.tanh(in0)", randn),
        ("sigmoid", "torch.sigmoid(in0)", randn),
        ("relu", "F.relu(in0)", randn),
        ("silu", "F.silu(in0)", randn),
        ("gelu", "F.gelu(in0)", randn),
        ("gelu_tanh", "F.gelu(in0, approximate='tanh')", randn),
        ("sin", "torch.sin(in0)", randn),
        ("cos", "torch.cos(in0)", randn),
        ("square", "torch.square(in0)", randn),
        ("reciprocal", "torch.reciprocal(in0)", positive),
        ("erf", "torch.erf(in0)", randn),
        ("softplus", "F.softplus(in0)", randn),
    ]
    for name, fn, make in cases:
        fam.case(name, fn, [make(3, 4)])
    fam.case("unary_f64_exp", "torch.exp(in0)", [randn(3, 4, dtype=f64)])
    fam.case("unary_f64_gelu", "F.gelu(in0)", [randn(3, 4, dtype=f64)])
    return fam


# ----------------------------------------------------------------------------------------------------
# 2. Elementwise binary ops, scalar ops, comparisons, logical ops, where, integer arithmetic

def binary():
    fam = Family("binary", "elementwise binary ops with broadcasting, scalar ops, comparisons, "
                           "logical ops, where, integer arithmetic")
    # Broadcasting: (3,1,4) op (2,4) -> (3,2,4); grad0 is (3,1,4), grad1 is (2,4).
    fam.case("add", "torch.add(in0, in1)", [randn(3, 1, 4), randn(2, 4)])
    fam.case("sub", "torch.sub(in0, in1)", [randn(3, 1, 4), randn(2, 4)])
    fam.case("mul", "torch.mul(in0, in1)", [randn(3, 1, 4), randn(2, 4)])
    fam.case("div", "torch.div(in0, in1)", [randn(3, 1, 4), away_from_zero(2, 4)])
    fam.case("pow", "torch.pow(in0, in1)", [positive(3, 1, 4), randn(2, 4)])
    fam.case("maximum", "torch.maximum(in0, in1)", [randn(3, 1, 4), randn(2, 4)])
    fam.case("minimum", "torch.minimum(in0, in1)", [randn(3, 1, 4), randn(2, 4)])

    # Tensor-scalar ops.
    fam.case("add_scalar", "in0 + 2.5", [randn(3, 4)])
    fam.case("rsub_scalar", "2.5 - in0", [randn(3, 4)])
    fam.case("mul_scalar", "in0 * 2.5", [randn(3, 4)])
    fam.case("div_scalar", "in0 / 2.5", [randn(3, 4)])
    fam.case("rdiv_scalar", "2.5 / in0", [positive(3, 4)])
    fam.case("pow_scalar", "in0 ** 3.0", [randn(3, 4)])
    fam.case("rpow_scalar", "2.0 ** in0", [randn(3, 4)])
    fam.case("clamp", "in0.clamp(-0.5, 0.5)", [randn(3, 4)])
    fam.case("clamp_min", "in0.clamp(min=0.1)", [randn(3, 4)])

    # Comparisons (bool outputs, no gradients); about a third of the pairs are equal.
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        a, b = small_ints_as_float(3, 4), small_ints_as_float(3, 4)
        b = torch.where(torch.rand(3, 4) < 0.3, a, b)
        fam.case(name, f"torch.{name}(in0, in1)", [a, b], grad=False)

    # Logical ops on bool tensors.
    fam.case("logical_and", "torch.logical_and(in0, in1)", [bool_mask(3, 4), bool_mask(3, 4)], grad=False)
    fam.case("logical_or", "torch.logical_or(in0, in1)", [bool_mask(3, 4), bool_mask(3, 4)], grad=False)
    fam.case("logical_not", "torch.logical_not(in0)", [bool_mask(3, 4)], grad=False)

    # where: bool condition, two float branches.
    fam.case("where", "torch.where(in0, in1, in2)", [bool_mask(3, 4), randn(3, 4), randn(3, 4)])

    # Integer arithmetic (int64; // and % round toward -inf, as Python does).
    fam.case("add_int", "in0 + in1", [torch.randint(-10, 10, (3, 4)), torch.randint(-10, 10, (3, 4))],
             grad=False)
    ints = index([[-7, -6, -5, -4], [-3, -2, -1, 0], [1, 2, 5, 11]])
    fam.case("floor_divide_int", "in0 // 3", [ints], grad=False)
    fam.case("remainder_int", "in0 % 3", [ints], grad=False)
    return fam


# ----------------------------------------------------------------------------------------------------
# 3. Matrix products

def matmul():
    fam = Family("matmul", "matmul, bmm, linear")
    fam.case("matmul_2d", "torch.matmul(in0, in1)", [randn(3, 4), randn(4, 5)])
    fam.case("matmul_batched", "torch.matmul(in0, in1)", [randn(2, 3, 4), randn(4, 5)])
    fam.case("matmul_vec", "torch.matmul(in0, in1)", [randn(3, 4), randn(4)])
    fam.case("bmm", "torch.bmm(in0, in1)", [randn(2, 3, 4), randn(2, 4, 5)])
    fam.case("linear", "F.linear(in0, in1, in2)", [randn(2, 3, 4), randn(5, 4), randn(5)])
    fam.case("linear_nobias", "F.linear(in0, in1)", [randn(2, 3, 4), randn(5, 4)])
    fam.case("matmul_f64", "torch.matmul(in0, in1)", [randn(3, 4, dtype=f64), randn(4, 5, dtype=f64)])
    return fam


# ----------------------------------------------------------------------------------------------------
# 4. Reductions (every in0 is (3,4,5) float32 with distinct values)

def reduce():
    fam = Family("reduce", "reductions and scans")
    cases = [
        ("sum_all", "torch.sum(in0)", True),
        ("sum_dim1", "torch.sum(in0, dim=1)", True),
        ("sum_dim1_keepdim", "torch.sum(in0, dim=1, keepdim=True)", True),
        ("sum_dims02", "torch.sum(in0, dim=[0, 2])", True),
        ("mean_all", "torch.mean(in0)", True),
        ("mean_dim0", "torch.mean(in0, dim=0)", True),
        ("max_dim1", "torch.max(in0, dim=1)", True),
        ("min_dim1", "torch.min(in0, dim=1)", True),
        ("max_all", "torch.max(in0)", True),
        ("amax_dim2", "torch.amax(in0, dim=2)", True),
        ("argmax_dim1", "torch.argmax(in0, dim=1)", False),
        ("argmax_all", "torch.argmax(in0)", False),
        ("argmin_dim2", "torch.argmin(in0, dim=2)", False),
        ("logsumexp_dim1", "torch.logsumexp(in0, dim=1)", True),
        ("var_dim1", "torch.var(in0, dim=1, correction=1)", True),
        ("var_dim1_biased", "torch.var(in0, dim=1, correction=0)", True),
        ("std_dim1", "torch.std(in0, dim=1, correction=1)", True),
        ("var_all", "torch.var(in0, correction=1)", True),
        ("norm_all", "torch.linalg.vector_norm(in0, ord=2)", True),
        ("norm_dim1_p1", "torch.linalg.vector_norm(in0, ord=1, dim=1)", True),
        ("prod_dim2", "torch.prod(in0, dim=2)", True),
        ("cumsum_dim1", "torch.cumsum(in0, dim=1)", True),
    ]
    for name, fn, grad in cases:
        fam.case(name, fn, [distinct(3, 4, 5)], grad=grad)
    return fam


# ----------------------------------------------------------------------------------------------------
# 5. Shape and view ops

def shape():
    fam = Family("shape", "reshapes, permutations, concatenation, splitting, broadcasting, "
                          "triangles, slicing")
    fam.case("reshape", "in0.reshape(4, 15)", [randn(3, 4, 5)])
    fam.case("permute", "in0.permute(2, 0, 1)", [randn(3, 4, 5)])
    fam.case("transpose_02", "in0.transpose(0, 2)", [randn(3, 4, 5)])
    fam.case("flatten_12", "in0.flatten(1, 2)", [randn(3, 4, 5)])
    fam.case("unsqueeze_1", "in0.unsqueeze(1)", [randn(3, 4)])
    fam.case("squeeze", "in0.squeeze(1)", [randn(3, 1, 4)])
    fam.case("cat_dim1", "torch.cat([in0, in1], dim=1)", [randn(2, 3), randn(2, 4)])
    fam.case("stack_dim0", "torch.stack([in0, in1], dim=0)", [randn(2, 3), randn(2, 3)])
    fam.case("split_2_dim1", "torch.split(in0, 2, dim=1)", [randn(3, 5)], grad=False)
    fam.case("chunk_2_dim0", "torch.chunk(in0, 2, dim=0)", [randn(5, 3)], grad=False)
    fam.case("expand", "in0.expand(2, 3, 4)", [randn(3, 1)])
    fam.case("repeat", "in0.repeat(2, 1, 3)", [randn(2, 3)])
    fam.case("tril", "torch.tril(in0)", [randn(4, 4)])
    fam.case("triu_1", "torch.triu(in0, diagonal=1)", [randn(4, 4)])
    fam.case("tril_neg1", "torch.tril(in0, diagonal=-1)", [randn(4, 4)])
    fam.case("slice_dim1_1_4_2", "in0[:, 1:4:2]", [randn(3, 6)])
    fam.case("select_0_1", "in0[1]", [randn(3, 4)])
    fam.case("narrow_dim1_1_2", "in0.narrow(1, 1, 2)", [randn(3, 4)])
    fam.case("contiguous_t", "in0.t().contiguous()", [randn(3, 4)])
    return fam


# ----------------------------------------------------------------------------------------------------
# 6. Indexing, gathering, scattering, embeddings, sorting

def index_ops():
    fam = Family("index", "index_select, gather, scatter, index_add, masked_fill, embeddings, "
                          "one_hot, topk, sort, unique, bincount, advanced indexing")
    fam.case("index_select_dim0", "torch.index_select(in0, 0, in1)", [randn(5, 3), index([4, 0, 2, 2])])
    fam.case("gather_dim1", "torch.gather(in0, 1, in1)", [randn(3, 4), index([[0, 3], [2, 2], [1, 0]])])
    fam.case("scatter_dim1", "in0.scatter(1, in1, in2)",
             [randn(3, 5), index([[4, 0], [1, 3], [2, 0]]), randn(3, 2)])
    fam.case("scatter_add_dim1", "in0.scatter_add(1, in1, in2)",
             [randn(3, 5), index([[1, 1], [0, 4], [3, 3]]), randn(3, 2)])
    fam.case("index_add_dim0", "in0.index_add(0, in1, in2)", [randn(5, 3), index([0, 2, 2]), randn(3, 3)])
    fam.case("masked_fill", "in0.masked_fill(in1, -1.5)", [randn(3, 4), bool_mask(3, 4)])
    fam.case("embedding", "F.embedding(in1, in0)", [randn(10, 4), index([[1, 7, 3], [7, 0, 9]])])
    bag_idx, bag_offsets = index([2, 5, 5, 0, 9, 3, 1]), index([0, 2, 5])
    fam.case("embedding_bag_mean", "F.embedding_bag(in1, in0, in2, mode='mean')",
             [randn(10, 4), bag_idx, bag_offsets])
    fam.case("embedding_bag_sum", "F.embedding_bag(in1, in0, in2, mode='sum')",
             [randn(10, 4), bag_idx, bag_offsets])
    fam.case("one_hot_5", "F.one_hot(in0, 5)", [index([[0, 4, 2], [1, 1, 3]])], grad=False)
    fam.case("topk_2", "torch.topk(in0, 2, dim=-1, largest=True, sorted=True)", [distinct(3, 6)])
    fam.case("sort_desc", "torch.sort(in0, dim=-1, descending=True)", [distinct(3, 6)])
    fam.case("argsort", "torch.argsort(in0, dim=-1)", [distinct(3, 6)], grad=False)
    fam.case("unique", "torch.unique(in0, sorted=True, return_counts=True)",
             [index([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])], grad=False)
    fam.case("bincount", "torch.bincount(in0, minlength=6)", [index([0, 2, 2, 4, 1, 2, 0])], grad=False)
    fam.case("index_tensor", "in0[in1]", [randn(5, 3), index([[4, 1], [1, 0]])])
    return fam


# ----------------------------------------------------------------------------------------------------
# 7. Neural-network functionals

def nn_ops():
    fam = Family("nn", "softmax, layer_norm, rms_norm, scaled_dot_product_attention, linear chains")
    fam.case("softmax_last", "F.softmax(in0, dim=-1)", [randn(2, 3, 5)])
    fam.case("log_softmax_last", "F.log_softmax(in0, dim=-1)", [randn(2, 3, 5)])
    fam.case("softmax_dim1", "F.softmax(in0, dim=1)", [randn(2, 3, 5)])

    def affine():
        return 1.0 + 0.5 * randn(8), 0.5 * randn(8)

    w, b = affine()
    fam.case("layer_norm", "F.layer_norm(in0, (8,), in1, in2, eps=1e-5)", [randn(2, 3, 8), w, b])
    w, _ = affine()
    fam.case("layer_norm_nobias", "F.layer_norm(in0, (8,), in1, None, eps=1e-5)", [randn(2, 3, 8), w])
    fam.case("layer_norm_noaffine", "F.layer_norm(in0, (8,), None, None, eps=1e-5)", [randn(2, 3, 8)])
    w, _ = affine()
    fam.case("rms_norm", "F.rms_norm(in0, (8,), in1, eps=1e-6)", [randn(2, 3, 8), w])

    def qkv():
        return [randn(2, 4, 5, 8), randn(2, 4, 5, 8), randn(2, 4, 5, 8)]

    fam.case("sdpa_causal", "F.scaled_dot_product_attention(in0, in1, in2, is_causal=True)", qkv())
    mask = bool_mask(5, 5) | torch.eye(5, dtype=torch.bool)
    fam.case("sdpa_mask_bool", "F.scaled_dot_product_attention(in0, in1, in2, attn_mask=in3)",
             qkv() + [mask])
    fam.case("sdpa_mask_float", "F.scaled_dot_product_attention(in0, in1, in2, attn_mask=in3)",
             qkv() + [randn(5, 5)], grads=[0, 1, 2])
    fam.case("sdpa_gqa", "F.scaled_dot_product_attention(in0, in1, in2, is_causal=True, enable_gqa=True)",
             [randn(1, 4, 5, 8), randn(1, 2, 5, 8), randn(1, 2, 5, 8)])
    fam.case("linear_gelu_chain", "F.linear(F.gelu(F.linear(in0, in1, in2)), in3)",
             [randn(4, 6), randn(8, 6), randn(8), randn(3, 8)])
    return fam


# ----------------------------------------------------------------------------------------------------
# 8. Losses

def loss():
    fam = Family("loss", "cross_entropy, nll_loss, kl_div, mse_loss")
    one = torch.tensor(1.0)  # the cotangent of every scalar loss

    logits = randn(6, 7)
    target = torch.randint(0, 7, (6,))
    target[2] = -100  # ignored (the default ignore_index)
    fam.case("cross_entropy", "F.cross_entropy(in0, in1)", [logits, target], cot=one)
    fam.case("cross_entropy_ls", "F.cross_entropy(in0, in1, label_smoothing=0.1)", [logits, target], cot=one)
    fam.case("cross_entropy_sum", "F.cross_entropy(in0, in1, reduction='sum')", [logits, target], cot=one)
    fam.case("cross_entropy_none", "F.cross_entropy(in0, in1, reduction='none')", [logits, target])
    fam.case("cross_entropy_3d", "F.cross_entropy(in0, in1)", [randn(2, 7, 3), torch.randint(0, 7, (2, 3))],
             cot=one)
    fam.case("nll_loss", "F.nll_loss(in0, in1)", [F.log_softmax(randn(6, 7), dim=-1), torch.randint(0, 7, (6,))],
             cot=one)
    fam.case("kl_div_batchmean", "F.kl_div(in0, in1, reduction='batchmean')",
             [F.log_softmax(randn(4, 5), dim=-1), F.softmax(randn(4, 5), dim=-1)], cot=one)
    fam.case("kl_div_log_target", "F.kl_div(in0, in1, reduction='batchmean', log_target=True)",
             [F.log_softmax(randn(4, 5), dim=-1), F.log_softmax(randn(4, 5), dim=-1)], cot=one)
    fam.case("mse", "F.mse_loss(in0, in1)", [randn(3, 4), randn(3, 4)], cot=one)
    fam.case("mse_sum", "F.mse_loss(in0, in1, reduction='sum')", [randn(3, 4), randn(3, 4)], cot=one)
    return fam


# ----------------------------------------------------------------------------------------------------
# 9. Whole modules: parameters, forward, backward

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.ln = nn.LayerNorm(8)
        self.fc2 = nn.Linear(8, 3, bias=False)

    def forward(self, x):
        return self.fc2(F.gelu(self.ln(self.fc1(x))))


class EmbeddingHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.proj = nn.Linear(4, 10)

    def forward(self, idx):
        return self.proj(self.emb(idx))


def store_module(fam, model, x):
    """Stores the state dict, the input, the output, a cotangent and the gradients of a module."""
    for key, p in model.state_dict().items():
        fam.put(f"param.{key}", p)
    fam.put("x", x)
    x = x.detach().clone()
    if x.is_floating_point():
        x.requires_grad_(True)
    out = model(x)
    cot = torch.randn(out.shape)
    (out * cot).sum().backward()
    fam.put("out", out, checked=True)
    fam.put("cot", cot)
    for key, p in model.named_parameters():
        fam.put(f"grad.{key}", p.grad, checked=True)
    if x.requires_grad:
        fam.put("grad_x", x.grad, checked=True)


def module_mlp():
    fam = Family("module_mlp", "nn.Module MLP: fc2(gelu(ln(fc1(x))))")
    model = MLP()
    with torch.no_grad():  # non-trivial LayerNorm affine parameters (the defaults are ones and zeros)
        model.ln.weight.copy_(1.0 + 0.5 * torch.randn(8))
        model.ln.bias.copy_(0.5 * torch.randn(8))
    store_module(fam, model, torch.randn(4, 6))
    fam.note("`class MLP(nn.Module)`: `fc1 = nn.Linear(6, 8)`, `ln = nn.LayerNorm(8)` (eps 1e-5), "
             "`fc2 = nn.Linear(8, 3, bias=False)`; `forward(x) = fc2(F.gelu(ln(fc1(x))))` (exact gelu).")
    fam.note("Keys: `param.fc1.weight` (8, 6), `param.fc1.bias` (8,), `param.ln.weight` (8,), "
             "`param.ln.bias` (8,), `param.fc2.weight` (3, 8); `x` (4, 6); `out` (4, 3); `cot` (4, 3); "
             "`grad.<same names>` = d/dparam of `(out * cot).sum()`; `grad_x` (4, 6).")
    return fam


def module_emb():
    fam = Family("module_emb", "nn.Module: proj(emb(idx))")
    store_module(fam, EmbeddingHead(), torch.randint(0, 10, (2, 3)))
    fam.note("`emb = nn.Embedding(10, 4)`, `proj = nn.Linear(4, 10)` (untied); `forward(idx) = proj(emb(idx))`.")
    fam.note("Keys: `param.emb.weight` (10, 4), `param.proj.weight` (10, 4), `param.proj.bias` (10,); "
             "`x` (2, 3) i64; `out` (2, 3, 10); `cot`; `grad.<same names>`; no `grad_x` (integer input).")
    return fam


# ----------------------------------------------------------------------------------------------------
# 10. Optimizers and learning-rate schedule

def fixed_grads(shapes, dtype):
    """Random gradients rescaled so that their global 2-norm is in [2, 5)."""
    gs = [torch.randn(*s, dtype=dtype) for s in shapes]
    norm = torch.linalg.vector_norm(torch.cat([g.flatten() for g in gs]))
    target = 2.0 + 3.0 * torch.rand(()).item()
    return [g * (target / norm) for g in gs]


def nanogpt_get_lr(it, learning_rate=1e-3, min_lr=1e-4, warmup_iters=10, lr_decay_iters=100):
    """nanoGPT's train.py schedule: linear warmup, cosine decay to min_lr, then constant."""
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


def optim():
    fam = Family("optim", "AdamW (with grad clipping), SGD, warmup-cosine schedule")

    # AdamW, float32, two param groups, global-norm clipping before each step. The reference is
    # PyTorch's default single-tensor ("for-loop") implementation: foreach=False, fused=False.
    p0 = torch.randn(4, 3).requires_grad_(True)
    p1 = torch.randn(3).requires_grad_(True)
    fam.put("adamw.init.p0", p0)
    fam.put("adamw.init.p1", p1)
    opt = torch.optim.AdamW([
        {"params": [p0], "weight_decay": 0.1},
        {"params": [p1], "weight_decay": 0.0},
    ], lr=1e-2, betas=(0.9, 0.95), eps=1e-8, foreach=False, fused=False)
    for s in range(1, 6):
        g0, g1 = fixed_grads([(4, 3), (3,)], f32)
        fam.put(f"adamw.g{s}.p0", g0)
        fam.put(f"adamw.g{s}.p1", g1)
        p0.grad, p1.grad = g0.clone(), g1.clone()
        norm = torch.nn.utils.clip_grad_norm_([p0, p1], 1.0)
        fam.put(f"adamw.norm{s}", norm, checked=True)
        opt.step()
        fam.put(f"adamw.after{s}.p0", p0, checked=True)
        fam.put(f"adamw.after{s}.p1", p1, checked=True)

    # AdamW, float64, one group, no clipping.
    p0 = torch.randn(4, 3, dtype=f64).requires_grad_(True)
    p1 = torch.randn(3, dtype=f64).requires_grad_(True)
    fam.put("adamw_f64.init.p0", p0)
    fam.put("adamw_f64.init.p1", p1)
    opt = torch.optim.AdamW([p0, p1], lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1,
                            foreach=False, fused=False)
    for s in range(1, 4):
        g0, g1 = fixed_grads([(4, 3), (3,)], f64)
        fam.put(f"adamw_f64.g{s}.p0", g0)
        fam.put(f"adamw_f64.g{s}.p1", g1)
        p0.grad, p1.grad = g0.clone(), g1.clone()
        opt.step()
        fam.put(f"adamw_f64.after{s}.p0", p0, checked=True)
        fam.put(f"adamw_f64.after{s}.p1", p1, checked=True)

    # SGD with momentum and weight decay, plain and Nesterov (single-tensor implementation).
    for prefix, nesterov in (("sgd", False), ("sgd_nesterov", True)):
        p0 = torch.randn(4, 3).requires_grad_(True)
        fam.put(f"{prefix}.init.p0", p0)
        opt = torch.optim.SGD([p0], lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=nesterov,
                              foreach=False, fused=False)
        for s in range(1, 4):
            g0 = torch.randn(4, 3)
            fam.put(f"{prefix}.g{s}.p0", g0)
            p0.grad = g0.clone()
            opt.step()
            fam.put(f"{prefix}.after{s}.p0", p0, checked=True)

    fam.put("sched.warmup_cosine", torch.tensor([nanogpt_get_lr(it) for it in range(120)], dtype=f64),
            checked=True)

    fam.note("**adamw** (float32): `p0` (4, 3), `p1` (3,); initial values `adamw.init.p0`, `adamw.init.p1`. "
             "`torch.optim.AdamW([{params: [p0], weight_decay: 0.1}, {params: [p1], weight_decay: 0.0}], "
             "lr=1e-2, betas=(0.9, 0.95), eps=1e-8, amsgrad=False, foreach=False, fused=False)` "
             "(PyTorch's default single-tensor implementation). For s = 1...5: set `p.grad` to "
             "`adamw.g{s}.p0`, `adamw.g{s}.p1` (global norm in [2, 5)); "
             "`torch.nn.utils.clip_grad_norm_([p0, p1], 1.0)` returns the pre-clip global 2-norm "
             "`adamw.norm{s}` (0-d) and multiplies the grads by `min(1, 1.0 / (norm + 1e-6))`; "
             "`opt.step()`; the parameters are then `adamw.after{s}.p0`, `adamw.after{s}.p1`.")
    fam.note("**adamw_f64** (float64): `adamw_f64.init.p0` (4, 3), `adamw_f64.init.p1` (3,); one group, "
             "`AdamW([p0, p1], lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)`; no clipping; "
             "for s = 1...3: grads `adamw_f64.g{s}.p0/p1`, step, results `adamw_f64.after{s}.p0/p1`.")
    fam.note("**sgd** (float32): `sgd.init.p0` (4, 3); `torch.optim.SGD([p0], lr=0.1, momentum=0.9, "
             "dampening=0, weight_decay=0.01, nesterov=False)`; for s = 1...3: grad `sgd.g{s}.p0`, step, "
             "result `sgd.after{s}.p0`.")
    fam.note("**sgd_nesterov**: the same with `nesterov=True` and its own keys `sgd_nesterov.init.p0`, "
             "`sgd_nesterov.g{s}.p0`, `sgd_nesterov.after{s}.p0` (s = 1...3).")
    fam.note("**sched.warmup_cosine** (float64, (120,)): nanoGPT's `get_lr(it)` for it = 0...119 with "
             "learning_rate 1e-3, min_lr 1e-4, warmup_iters 10, lr_decay_iters 100: "
             "`it < 10: lr * (it + 1) / (10 + 1)`; `it > 100: min_lr`; otherwise "
             "`decay_ratio = (it - 10) / (100 - 10)`, `coeff = 0.5 * (1 + cos(pi * decay_ratio))`, "
             "`min_lr + coeff * (lr - min_lr)`.")
    return fam


# ----------------------------------------------------------------------------------------------------
# 11. Random number generation (does libtorch from Swift reproduce PyTorch bit for bit?)

def random_family():
    fam = Family("random", "CPU random number generation after manual_seed")
    torch.manual_seed(42)
    fam.put("randn_seed42", torch.randn(3, 4), checked=True)
    torch.manual_seed(42)
    fam.put("rand_seed42", torch.rand(3, 4), checked=True)
    torch.manual_seed(42)
    fam.put("randint_seed42", torch.randint(0, 10, (3, 4)), checked=True)
    torch.manual_seed(7)
    fam.put("randperm_seed7", torch.randperm(10), checked=True)
    torch.manual_seed(123)
    fam.put("normal_init_seed123", torch.empty(4, 5).normal_(0, 0.02), checked=True)
    g = torch.Generator().manual_seed(5)
    fam.put("randn_gen5", torch.randn(2, 3, generator=g), checked=True)
    fam.note("All on the CPU generator, float32 unless said; each line starts from a fresh seed:")
    fam.note("`randn_seed42` = `torch.manual_seed(42); torch.randn(3, 4)`")
    fam.note("`rand_seed42` = `torch.manual_seed(42); torch.rand(3, 4)`")
    fam.note("`randint_seed42` (i64) = `torch.manual_seed(42); torch.randint(0, 10, (3, 4))`")
    fam.note("`randperm_seed7` (i64) = `torch.manual_seed(7); torch.randperm(10)`")
    fam.note("`normal_init_seed123` = `torch.manual_seed(123); torch.empty(4, 5).normal_(0, 0.02)` "
             "(20 elements: PyTorch's CPU normal fills tensors of 16 or more elements with a different, "
             "vectorized algorithm than smaller ones, so this also covers that path)")
    fam.note("`randn_gen5` = `g = torch.Generator().manual_seed(5); torch.randn(2, 3, generator=g)`")
    return fam


# ----------------------------------------------------------------------------------------------------
# README (the contract for the Swift tests)

README_HEADER = """\
# PyTorch reference fixtures

Generated by `scripts/make_fixtures.py` with torch {torch_version} on CPU; do not edit by hand.
Regenerate with

    "$(scripts/setup_python_env.sh --print-python)" scripts/make_fixtures.py

The Swift tests only read these files; they never run Python.

Every file is a safetensors file whose metadata holds `family` (a description), `torch` (the version
that produced it) and, for the op files, `cases` (the comma-separated case names in order).

## Op files: naming convention

The op files (`unary`, `binary`, `matmul`, `reduce`, `shape`, `index`, `nn`, `loss`) hold cases. A case
named `C` stores:

- `C.in0`, `C.in1`, ...: the inputs, in the order the expression below takes them. Float inputs are
  float32 unless the table says f64; index tensors are int64 (i64); masks are bool.
- `C.out`: the first output; `C.out1`, `C.out2`, ...: further outputs (for example the indices of
  `max`/`topk`/`sort`, the counts of `unique`, the later pieces of `split`/`chunk`).
- for differentiable cases (the grads column is not "—"):
  - `C.cot`: the cotangent, same shape and dtype as `C.out` (random normal; for scalar losses it
    is a 0-d tensor holding 1.0);
  - `C.gradI`: the gradient of `(C.out * C.cot).sum()` with respect to `C.inI`, for each `I` listed.
    Gradients flow from the first output only. Integer and bool inputs never have a gradient, nor
    does the additive float mask `in3` of `sdpa_mask_float` (treated as a constant); the numbering
    follows the input position (so `where` has `grad1`, `grad2` but no `grad0`). The grads column
    lists exactly the `gradI` keys present.

Scalar arguments (dims, eps, k, constants) are not stored: the expression column gives them exactly
(Python syntax over `torch`, `F` = `torch.nn.functional`, and the inputs `in0`, `in1`, ...). Unless
the expression says otherwise, PyTorch defaults apply (for example `F.gelu` is the exact erf form,
`F.cross_entropy` uses `ignore_index=-100` and `reduction='mean'`, `F.scaled_dot_product_attention`
uses the scale `1/sqrt(head_dim)`, `//` and `%` on integers round toward negative infinity).

Inputs are chosen so that every case is well defined: positive inputs for log, log1p, sqrt, rsqrt,
reciprocal, rdiv and pow bases; divisors away from zero; pairwise distinct values (no ties) for
max/min/amax/argmax/argmin/sort/argsort/topk and the whole `reduce` file; bool masks for
`sdpa_mask_bool` always keep the diagonal.

References are computed on CPU with one thread (`torch.set_num_threads(1)`). Float results from
another implementation (or another thread count) legitimately differ in the last bits, so the
tests compare floats with a tolerance; integer and bool outputs compare exactly.

## Other files

`module_mlp`, `module_emb`, `optim` and `random` do not hold cases; their keys are listed in their
sections below.
"""


def md_escape(text):
    return text.replace("|", "\\|")


def write_readme(families, out_dir):
    lines = [README_HEADER.format(torch_version=torch.__version__)]
    for fam in families:
        lines.append(f"## `{fam.name}.safetensors`: {fam.description}\n")
        if fam.cases:
            lines.append("| case | inputs | expression | outputs | grads |")
            lines.append("|---|---|---|---|---|")
            for c in fam.cases:
                lines.append(f"| `{c['name']}` | {c['inputs']} | `{md_escape(c['expr'])}` | "
                             f"{c['outputs']} | {c['grads']} |")
            lines.append("")
        for note in fam.notes:
            lines.append(f"- {note}")
        if fam.notes:
            lines.append("")
    (out_dir / "README.md").write_text("\n".join(lines))


# ----------------------------------------------------------------------------------------------------

def main():
    torch.set_num_threads(1)  # reductions in a fixed order, whatever the machine
    torch.manual_seed(0)
    TORCH_FIXTURES.mkdir(parents=True, exist_ok=True)

    builders = [unary, binary, matmul, reduce, shape, index_ops, nn_ops, loss,
                module_mlp, module_emb, optim, random_family]
    families = [build() for build in builders]

    total_cases = total_checked = 0
    print(f"torch {torch.__version__}: writing {TORCH_FIXTURES.relative_to(ROOT)}/")
    for fam in families:
        path, size = fam.write(TORCH_FIXTURES)
        checked = fam.checked
        total_cases += len(fam.cases)
        total_checked += checked
        what = f"{len(fam.cases):3d} cases" if fam.cases else "         "
        print(f"  {path.name:28s} {what}  {len(fam.tensors):4d} tensors  {checked:4d} checked  {size:7d} bytes")
    write_readme(families, TORCH_FIXTURES)
    print(f"  README.md\n  total: {total_cases} cases, {total_checked} checked tensors")

    try:
        from fixtures_safetensors import write_safetensors_fixtures
    except ImportError as e:
        if e.name != "fixtures_safetensors":
            raise
        print("warning: scripts/fixtures_safetensors.py not found; "
              f"skipping {SAFETENSORS_FIXTURES.relative_to(ROOT)}/", file=sys.stderr)
    else:
        SAFETENSORS_FIXTURES.mkdir(parents=True, exist_ok=True)
        write_safetensors_fixtures(SAFETENSORS_FIXTURES)  # a pathlib.Path
        print(f"wrote {SAFETENSORS_FIXTURES.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
