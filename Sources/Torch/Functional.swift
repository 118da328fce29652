// Functional.swift — neural-network functions (torch.nn.functional): softmax, norms, attention, dropout, losses.
import CTorch
import Foundation

extension Tensor {
    public func softmax(dim: Int = -1) -> Tensor { wrap(mt_softmax(handle, Int64(dim)), "softmax") }
    public func logSoftmax(dim: Int = -1) -> Tensor { wrap(mt_log_softmax(handle, Int64(dim)), "logSoftmax") }
}

/// Zeroes elements with probability `p` and scales the rest by 1/(1-p) when `training` (default generator).
public func dropout(_ x: Tensor, p: Double, training: Bool = true) -> Tensor {
    if p == 0 || !training { return x }
    return wrap(mt_dropout(x.handle, p, training), "dropout")
}

/// Layer normalisation over the trailing `normalizedShape` dimensions; weight and bias are optional.
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                      eps: Double = 1e-5) -> Tensor {
    let s = normalizedShape.map(Int64.init)
    return wrap(mt_layer_norm(x.handle, s, Int64(s.count), weight?.handle, bias?.handle, eps), "layerNorm of \(x.shape)")
}

/// RMS normalisation x / sqrt(mean(x²) + eps) * weight over the trailing dimensions. eps nil = the dtype's epsilon.
public func rmsNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, eps: Double? = nil) -> Tensor {
    let s = normalizedShape.map(Int64.init)
    return wrap(mt_rms_norm(x.handle, s, Int64(s.count), weight?.handle, eps ?? 0, eps != nil), "rmsNorm of \(x.shape)")
}

/// softmax(q kᵀ · scale + mask) v over (…, T, hs) inputs, with libtorch's fused kernels.
/// - mask: bool (true = attend) or additive float, broadcastable to (…, Tq, Tk).
/// - isCausal: each position attends to itself and earlier ones only.
/// - enableGQA: k and v may have fewer heads than q (grouped-query attention).
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
                                      dropout: Double = 0, isCausal: Bool = false, scale: Double? = nil,
                                      enableGQA: Bool = false) -> Tensor {
    wrap(mt_scaled_dot_product_attention(query.handle, key.handle, value.handle, mask?.handle, dropout, isCausal,
                                         scale ?? .nan, enableGQA),
         "scaledDotProductAttention of q \(query.shape), k \(key.shape), v \(value.shape)")
}

public enum Reduction: Sendable {
    case none, mean, sum
    var raw: mt_reduction {
        switch self {
        case .none: MT_REDUCTION_NONE
        case .mean: MT_REDUCTION_MEAN
        case .sum: MT_REDUCTION_SUM
        }
    }
}

/// The mean softmax cross-entropy of the logits hidden (N, C) · weight (V, C)ᵀ against targets (N), targets equal to
/// `ignoreIndex` skipped — `crossEntropy(hidden.matmul(weight.T), targets)` without ever holding the (N, V) logits or
/// their gradient: rows go in chunks (default: about 8M logits at a time), and each chunk's gradients for hidden and
/// weight are formed in the forward (fused.cpp). Float32 loss; matmuls follow autocast.
public func linearCrossEntropy(_ hidden: Tensor, weight: Tensor, targets: Tensor, ignoreIndex: Int = -1,
                               chunkRows: Int? = nil) -> Tensor {
    let rows = chunkRows ?? max(64, (1 << 23) / max(weight.size(0), 1))
    return wrap(mt_linear_cross_entropy(hidden.handle, weight.handle, targets.handle, Int64(ignoreIndex), Int64(rows)),
                "linearCrossEntropy of hidden \(hidden.shape), weight \(weight.shape), targets \(targets.shape)")
}

/// Softmax cross-entropy of `logits` (N, C) or (N, C, d…) against int64 class targets (N) or (N, d…).
public func crossEntropy(_ logits: Tensor, _ targets: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean,
                         ignoreIndex: Int = -100, labelSmoothing: Double = 0) -> Tensor {
    wrap(mt_cross_entropy(logits.handle, targets.handle, weight?.handle, reduction.raw, Int64(ignoreIndex), labelSmoothing),
         "crossEntropy of logits \(logits.shape) and targets \(targets.shape)")
}

/// Negative log-likelihood of log-probabilities (N, C) against class targets (N).
public func nllLoss(_ logProbs: Tensor, _ targets: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean,
                    ignoreIndex: Int = -100) -> Tensor {
    wrap(mt_nll_loss(logProbs.handle, targets.handle, weight?.handle, reduction.raw, Int64(ignoreIndex)),
         "nllLoss of \(logProbs.shape) and \(targets.shape)")
}

public enum KLReduction: Sendable { case none, mean, sum, batchMean }

/// KL(target ‖ input) with `input` as log-probabilities (torch.nn.functional.kl_div).
public func klDivergence(_ input: Tensor, _ target: Tensor, reduction: KLReduction = .batchMean,
                         logTarget: Bool = false) -> Tensor {
    switch reduction {
    case .batchMean:
        let total = wrap(mt_kl_div(input.handle, target.handle, MT_REDUCTION_SUM, logTarget), "klDivergence")
        return input.ndim == 0 ? total : total / input.size(0)
    case .none: return wrap(mt_kl_div(input.handle, target.handle, MT_REDUCTION_NONE, logTarget), "klDivergence")
    case .mean: return wrap(mt_kl_div(input.handle, target.handle, MT_REDUCTION_MEAN, logTarget), "klDivergence")
    case .sum: return wrap(mt_kl_div(input.handle, target.handle, MT_REDUCTION_SUM, logTarget), "klDivergence")
    }
}

/// Mean squared error.
public func mseLoss(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
    wrap(mt_mse_loss(input.handle, target.handle, reduction.raw), "mseLoss of \(input.shape) and \(target.shape)")
}

extension Tensor {
    /// log(1 − exp(x)) for x ≤ 0, accurate at both ends (Mächler's log1mexp): log(−expm1(x)) for x > −ln 2, where
    /// 1 − eˣ is small, and log1p(−exp(x)) below, where eˣ is small. Each branch sees an input clamped to its own
    /// side, so neither branch's infinity or NaN reaches the value or the gradient of the other.
    public func log1mexp() -> Tensor {
        let ln2 = 0.693147180559945309
        let near = (-clamp(min: -ln2).expm1()).log()          // x in (−ln 2, 0]
        let far = (-clamp(max: -ln2).exp()).log1p()           // x ≤ −ln 2
        return `where`(self .> -ln2, near, far)
    }
}
