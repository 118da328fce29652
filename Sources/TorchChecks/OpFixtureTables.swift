// OpFixtureTables.swift — the Swift expression of every case of the op fixture files (Fixtures/*.safetensors,
// written by scripts/make_fixtures.py and scripts/make_stablemax_fixtures.py from PyTorch). The Swift tests
// check them on the CPU; `mnemo check --device cuda` runs the same cases on a GPU.
import Torch
import TorchNN
import TorchOptim

/// One fixture file and the Swift expression of each of its cases.
public struct OpFixtureTable: Sendable {
    public let file: String
    public let ops: [String: FixtureOp]
    /// A case's own tolerance where the per-dtype default does not fit (nil: the default).
    public let tolerance: @Sendable (String) -> Tolerance?

    public init(file: String, ops: [String: FixtureOp], tolerance: @escaping @Sendable (String) -> Tolerance? = { _ in nil }) {
        self.file = file
        self.ops = ops
        self.tolerance = tolerance
    }

    init(_ file: String, _ ops: [String: FixtureOp], tolerance: @escaping @Sendable (String) -> Tolerance? = { _ in nil }) {
        self.init(file: file, ops: ops, tolerance: tolerance)
    }
}

public enum OpFixtures {
    /// Every op table (random streams are not here: they are checked against PyTorch's CPU generator only).
    public static let all: [OpFixtureTable] = [unary, binary, reduce, shape, index, nn, loss, matmul, stablemax]

    /// Fixtures/unary.safetensors: element-wise unary ops, forward and backward.
    public static let unary = OpFixtureTable("unary", [
        "exp": { [$0[0].exp()] },
        "log": { [$0[0].log()] },
        "log1p": { [$0[0].log1p()] },
        "expm1": { [$0[0].expm1()] },
        "sqrt": { [$0[0].sqrt()] },
        "rsqrt": { [$0[0].rsqrt()] },
        "abs": { [$0[0].abs()] },
        "neg": { [-$0[0]] },
        "tanh": { [$0[0].tanh()] },
        "sigmoid": { [$0[0].sigmoid()] },
        "relu": { [$0[0].relu()] },
        "silu": { [$0[0].silu()] },
        "gelu": { [$0[0].gelu()] },
        "gelu_tanh": { [$0[0].gelu(approximate: true)] },
        "sin": { [$0[0].sin()] },
        "cos": { [$0[0].cos()] },
        "square": { [$0[0].square()] },
        "reciprocal": { [$0[0].reciprocal()] },
        "erf": { [$0[0].erf()] },
        "softplus": { [$0[0].softplus()] },
        "unary_f64_exp": { [$0[0].exp()] },
        "unary_f64_gelu": { [$0[0].gelu()] },
    ])

    /// Fixtures/binary.safetensors: broadcasting arithmetic, scalar operands,
    public static let binary = OpFixtureTable("binary", [
        "add": { [$0[0] + $0[1]] },
        "sub": { [$0[0] - $0[1]] },
        "mul": { [$0[0] * $0[1]] },
        "div": { [$0[0] / $0[1]] },
        "pow": { [$0[0] ** $0[1]] },
        "maximum": { [$0[0].maximum($0[1])] },
        "minimum": { [$0[0].minimum($0[1])] },
        "add_scalar": { [$0[0] + 2.5] },
        "rsub_scalar": { [2.5 - $0[0]] },
        "mul_scalar": { [$0[0] * 2.5] },
        "div_scalar": { [$0[0] / 2.5] },
        "rdiv_scalar": { [2.5 / $0[0]] },
        "pow_scalar": { [$0[0] ** 3.0] },
        "rpow_scalar": { [2.0 ** $0[0]] },
        "clamp": { [$0[0].clamp(min: -0.5, max: 0.5)] },
        "clamp_min": { [$0[0].clamp(min: 0.1)] },
        "eq": { [$0[0] .== $0[1]] },
        "ne": { [$0[0] .!= $0[1]] },
        "lt": { [$0[0] .< $0[1]] },
        "le": { [$0[0] .<= $0[1]] },
        "gt": { [$0[0] .> $0[1]] },
        "ge": { [$0[0] .>= $0[1]] },
        "logical_and": { [$0[0].logicalAnd($0[1])] },
        "logical_or": { [$0[0].logicalOr($0[1])] },
        "logical_not": { [$0[0].logicalNot()] },
        "where": { [Torch.where($0[0], $0[1], $0[2])] },
        "add_int": { [$0[0] + $0[1]] },
        "floor_divide_int": { [$0[0].floorDivide(3)] },
        "remainder_int": { [$0[0] % 3] },
    ])

    /// Fixtures/reduce.safetensors: sums, means, extrema with indices, arg-extrema,
    public static let reduce = OpFixtureTable("reduce", [
        "sum_all": { [$0[0].sum()] },
        "sum_dim1": { [$0[0].sum(dim: 1)] },
        "sum_dim1_keepdim": { [$0[0].sum(dim: 1, keepDim: true)] },
        "sum_dims02": { [$0[0].sum(dims: [0, 2])] },
        "mean_all": { [$0[0].mean()] },
        "mean_dim0": { [$0[0].mean(dim: 0)] },
        "max_dim1": { let m = $0[0].max(dim: 1); return [m.values, m.indices] },
        "min_dim1": { let m = $0[0].min(dim: 1); return [m.values, m.indices] },
        "max_all": { [$0[0].max()] },
        "amax_dim2": { [$0[0].amax(dims: [2])] },
        "argmax_dim1": { [$0[0].argmax(dim: 1)] },
        "argmax_all": { [$0[0].argmax()] },
        "argmin_dim2": { [$0[0].argmin(dim: 2)] },
        "logsumexp_dim1": { [$0[0].logsumexp(dim: 1)] },
        "var_dim1": { [$0[0].variance(dims: [1], correction: 1)] },
        "var_dim1_biased": { [$0[0].variance(dims: [1], correction: 0)] },
        "std_dim1": { [$0[0].std(dims: [1], correction: 1)] },
        "var_all": { [$0[0].variance(correction: 1)] },
        "norm_all": { [$0[0].norm(p: 2)] },
        "norm_dim1_p1": { [$0[0].norm(p: 1, dims: [1])] },
        "prod_dim2": { [$0[0].prod(dim: 2)] },
        "cumsum_dim1": { [$0[0].cumsum(dim: 1)] },
    ])

    /// Fixtures/shape.safetensors: reshape, permute, cat / stack / split / chunk,
    public static let shape = OpFixtureTable("shape", [
        "reshape": { [$0[0].reshape(4, 15)] },
        "permute": { [$0[0].permute(2, 0, 1)] },
        "transpose_02": { [$0[0].transpose(0, 2)] },
        "flatten_12": { [$0[0].flatten(start: 1, end: 2)] },
        "unsqueeze_1": { [$0[0].unsqueeze(1)] },
        "squeeze": { [$0[0].squeeze(1)] },
        "cat_dim1": { [cat([$0[0], $0[1]], dim: 1)] },
        "stack_dim0": { [stack([$0[0], $0[1]], dim: 0)] },
        "split_2_dim1": { $0[0].split(2, dim: 1) },
        "chunk_2_dim0": { $0[0].chunk(2, dim: 0) },
        "expand": { [$0[0].expand([2, 3, 4])] },
        "repeat": { [$0[0].repeated([2, 1, 3])] },
        "tril": { [$0[0].tril()] },
        "triu_1": { [$0[0].triu(1)] },
        "tril_neg1": { [$0[0].tril(-1)] },
        "slice_dim1_1_4_2": { [$0[0][.all, .stride(1, 4, by: 2)]] },
        "select_0_1": { [$0[0][1]] },
        "narrow_dim1_1_2": { [$0[0].narrow(dim: 1, start: 1, length: 2)] },
        "contiguous_t": { [$0[0].T.contiguous()] },
    ])

    /// Fixtures/index.safetensors: index_select, gather, scatter, index_add,
    public static let index = OpFixtureTable("index", [
        "index_select_dim0": { [$0[0].indexSelect(dim: 0, index: $0[1])] },
        "gather_dim1": { [$0[0].gather(dim: 1, index: $0[1])] },
        "scatter_dim1": { [$0[0].scatter(dim: 1, index: $0[1], src: $0[2])] },
        "scatter_add_dim1": { [$0[0].scatterAdd(dim: 1, index: $0[1], src: $0[2])] },
        "index_add_dim0": { [$0[0].indexAdd(dim: 0, index: $0[1], source: $0[2])] },
        "masked_fill": { [$0[0].maskedFill($0[1], -1.5)] },
        "embedding": { [embedding($0[1], weight: $0[0])] },
        "embedding_bag_mean": { [embeddingBag($0[1], offsets: $0[2], weight: $0[0], mode: .mean)] },
        "embedding_bag_sum": { [embeddingBag($0[1], offsets: $0[2], weight: $0[0], mode: .sum)] },
        "one_hot_5": { [$0[0].oneHot(numClasses: 5)] },
        "topk_2": { let t = $0[0].topk(2, dim: -1, largest: true, sorted: true); return [t.values, t.indices] },
        "sort_desc": { let s = $0[0].sort(dim: -1, descending: true); return [s.values, s.indices] },
        "argsort": { [$0[0].argsort(dim: -1)] },
        "unique": { let u = $0[0].unique(sorted: true); return [u.values, u.counts] },
        "bincount": { [$0[0].bincount(minLength: 6)] },
        "index_tensor": { [$0[0][$0[1]]] },
    ])

    /// Fixtures/nn.safetensors: softmax, layer / RMS norm, scaled dot-product attention
    public static let nn = OpFixtureTable("nn", [
        "softmax_last": { [$0[0].softmax(dim: -1)] },
        "log_softmax_last": { [$0[0].logSoftmax(dim: -1)] },
        "softmax_dim1": { [$0[0].softmax(dim: 1)] },
        "layer_norm": { [layerNorm($0[0], normalizedShape: [8], weight: $0[1], bias: $0[2], eps: 1e-5)] },
        "layer_norm_nobias": { [layerNorm($0[0], normalizedShape: [8], weight: $0[1], eps: 1e-5)] },
        "layer_norm_noaffine": { [layerNorm($0[0], normalizedShape: [8], eps: 1e-5)] },
        "rms_norm": { [rmsNorm($0[0], normalizedShape: [8], weight: $0[1], eps: 1e-6)] },
        "sdpa_causal": { [scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true)] },
        "sdpa_mask_bool": { [scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3])] },
        "sdpa_mask_float": { [scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3])] },
        "sdpa_gqa": {
            [scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true, enableGQA: true)]
        },
        "linear_gelu_chain": { [linear(linear($0[0], weight: $0[1], bias: $0[2]).gelu(), weight: $0[3])] },
    ])

    /// Fixtures/loss.safetensors: cross-entropy (mean, sum, none, label smoothing,
    public static let loss = OpFixtureTable("loss", [
        "cross_entropy": { [crossEntropy($0[0], $0[1])] },
        "cross_entropy_ls": { [crossEntropy($0[0], $0[1], labelSmoothing: 0.1)] },
        "cross_entropy_sum": { [crossEntropy($0[0], $0[1], reduction: .sum)] },
        "cross_entropy_none": { [crossEntropy($0[0], $0[1], reduction: .none)] },
        "cross_entropy_3d": { [crossEntropy($0[0], $0[1])] },
        "nll_loss": { [nllLoss($0[0], $0[1])] },
        "kl_div_batchmean": { [klDivergence($0[0], $0[1], reduction: .batchMean)] },
        "kl_div_log_target": { [klDivergence($0[0], $0[1], reduction: .batchMean, logTarget: true)] },
        "mse": { [mseLoss($0[0], $0[1])] },
        "mse_sum": { [mseLoss($0[0], $0[1], reduction: .sum)] },
    ])

    /// Fixtures/matmul.safetensors: matmul (2-D, batched, matrix–vector), bmm, linear.
    public static let matmul = OpFixtureTable("matmul", [
        "matmul_2d": { [$0[0].matmul($0[1])] },
        "matmul_batched": { [$0[0].matmul($0[1])] },
        "matmul_vec": { [$0[0].matmul($0[1])] },
        "bmm": { [$0[0].bmm($0[1])] },
        "linear": { [linear($0[0], weight: $0[1], bias: $0[2])] },
        "linear_nobias": { [linear($0[0], weight: $0[1])] },
        "matmul_f64": { [$0[0].matmul($0[1])] },
    ])

    // StableMax, LogStableMax, StableMax cross-entropy, the softmax-collapse cases and ⊥Grad (Fixtures/stablemax.md).
    // Tolerances: the defaults, except the softmax collapse case, compared exactly (the point is an exact 0), its
    // StableMax twin (atol 1e-9, rtol 1e-5: its gradients are ~5e-4), and the optimizer cases (float32 atol 1e-6,
    // rtol 1e-5 on the parameters; float64 1e-12 / 1e-10).
    public static let stablemax = OpFixtureTable("stablemax", stablemaxOps, tolerance: stablemaxTolerance)

    /// One ⊥AdamW run as in the fixture: [fc.weight, fc.bias, weight grads…, bias grads…] → parameters after.
    static func orthoAdamW(_ inputs: [Tensor]) -> [Tensor] {
        let steps = (inputs.count - 2) / 2
        let w = inputs[0].clone().detached().requiringGrad(), b = inputs[1].clone().detached().requiringGrad()
        let base = AdamW(groups: [ParameterGroup(params: [w, b], names: ["fc.weight", "fc.bias"], lr: 1e-2,
                                                 weightDecay: 0.1, betas: (0.9, 0.99), eps: 1e-25)])
        let optimizer = orthogonalized(base, skipSubstrings: ["bias"])
        for k in 0..<steps {
            w.grad = inputs[2 + k].clone()
            b.grad = inputs[2 + steps + k].clone()
            optimizer.step()
        }
        return [w.detached(), b.detached()]
    }

    static func orthoSGD(_ inputs: [Tensor]) -> [Tensor] {
        let w = inputs[0].clone().detached().requiringGrad(), b = inputs[1].clone().detached().requiringGrad()
        let base = SGD(groups: [ParameterGroup(params: [w, b], names: ["w", "b"], lr: 0.1, weightDecay: 0.01)],
                       momentum: 0.9)
        let optimizer = orthogonalized(base, skipOneDimensional: true)
        for k in 0..<3 {
            w.grad = inputs[2 + k].clone()
            b.grad = inputs[5 + k].clone()
            optimizer.step()
        }
        return [w.detached(), b.detached()]
    }

    static let stablemaxOps: [String: FixtureOp] = [
        "s_f32": { [stableMaxS($0[0])] },
        "s_f64": { [stableMaxS($0[0])] },
        "log_s_f32": { [stableMaxLogS($0[0])] },
        "log_s_f64": { [stableMaxLogS($0[0])] },
        "stablemax_f32": { [stableMax($0[0])] },
        "stablemax_f64": { [stableMax($0[0])] },
        "log_stablemax_f32": { [logStableMax($0[0])] },
        "log_stablemax_f64": { [logStableMax($0[0])] },
        "stablemax_dim0_f32": { [stableMax($0[0], dim: 0)] },
        "stablemax_ce_f32": { [stableMaxCrossEntropy($0[0], $0[1])] },
        "stablemax_ce_f64": { [stableMaxCrossEntropy($0[0], $0[1])] },
        "stablemax_ce_ignore_ls_f32": { [stableMaxCrossEntropy($0[0], $0[1], ignoreIndex: -100, labelSmoothing: 0.1)] },
        "stablemax_ce_ignore_ls_f64": { [stableMaxCrossEntropy($0[0], $0[1], ignoreIndex: -100, labelSmoothing: 0.1)] },
        "stablemax_ce_sum_f32": { [stableMaxCrossEntropy($0[0], $0[1], reduction: .sum)] },
        "stablemax_ce_none_f32": { [stableMaxCrossEntropy($0[0], $0[1], reduction: .none)] },
        "stablemax_ce_3d_f32": { [stableMaxCrossEntropy($0[0], $0[1])] },
        "stablemax_ce_compute_f32": { [stableMaxCrossEntropy($0[0], $0[1], computeDType: .float32)] },
        "collapse_softmax_ce_f32": { [crossEntropy($0[0], $0[1])] },
        "collapse_stablemax_ce_f32": { [stableMaxCrossEntropy($0[0], $0[1])] },
        "margin15_f32": { x in
            [crossEntropy(x[0], x[1], reduction: .none), (x[0] - x[0].amax(dims: [-1], keepDim: true)).exp().sum(dims: [-1])]
        },
        "margin18_f32": { x in
            [crossEntropy(x[0], x[1], reduction: .none), (x[0] - x[0].amax(dims: [-1], keepDim: true)).exp().sum(dims: [-1])]
        },
        "ortho_grad_f32": { [orthogonalGradient($0[0], $0[1])] },
        "ortho_grad_f64": { [orthogonalGradient($0[0], $0[1])] },
        "ortho_adamw_1step_f32": { orthoAdamW($0) },
        "ortho_adamw_3steps_f32": { orthoAdamW($0) },
        "ortho_adamw_3steps_f64": { orthoAdamW($0) },
        "ortho_sgd_3steps_f32": { orthoSGD($0) },
    ]

    static func stablemaxTolerance(_ name: String) -> Tolerance? {
        if name.hasPrefix("collapse_softmax") { return .exact }
        if name.hasPrefix("collapse_stablemax") { return Tolerance(atol: 1e-9, rtol: 1e-5) }  // gradients ~5e-4
        if name.hasPrefix("ortho_") && name.contains("step") {
            return name.hasSuffix("f64") ? Tolerance(atol: 1e-12, rtol: 1e-10) : Tolerance(atol: 1e-6, rtol: 1e-5)
        }
        return nil
    }
}
