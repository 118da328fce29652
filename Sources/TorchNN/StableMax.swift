// StableMax.swift — StableMax, LogStableMax and StableMax cross-entropy (Prieto, Barsbey, Mediano, Birdal,
// "Grokking at the Edge of Numerical Stability", ICLR 2025), and the loss switch every Mnemo model uses.
//
// StableMax replaces exp in softmax by s(x) = x + 1 (x ≥ 0), 1 / (1 − x) (x < 0): it grows linearly instead of
// exponentially, so the correct class's probability cannot round to exactly 1 and its gradient to exactly 0 —
// softmax collapse, which stops learning without regularisation. It is applied to raw logits (it is not
// shift-invariant: StableMax(x + c) ≠ StableMax(x)). Oracle: StableMax(x) = Softmax(sign(x) · log1p(|x|)).
//
// Conventions: the class axis is the last one everywhere in this file (logits (N, C) or (B, T, C), targets (N)
// or (B, T)) — unlike `crossEntropy`, whose 3-D form takes (N, C, d). Both branches of s and log s are evaluated on
// inputs restricted to their own side (min(x, 0) for the negative one) so that autograd never meets 0 · ∞ in the
// branch `where` discards, and both have slope 1 at x = 0, as s has.
//
// What it refuses: class weights (use `crossEntropy` for a weighted softmax loss); soft (probability) targets.
import Torch

/// s(x): x + 1 for x ≥ 0, 1 / (1 − x) for x < 0. Same dtype and shape as `x`.
public func stableMaxS(_ x: Tensor) -> Tensor {
    let negative = 1.0 / (1.0 - x.clamp(max: 0))  // evaluated on min(x, 0): finite for every x
    return `where`(x .>= 0, x + 1.0, negative)
}

/// log s(x): log1p(x) for x ≥ 0, −log1p(−x) below. The positive branch takes x masked to 0 below 0 (by `where`,
/// not clamp: clamp's gradient at its bound is 0 in libtorch, which would give log s a slope of 0 at x = 0 instead
/// of 1); the negative branch takes min(x, 0).
public func stableMaxLogS(_ x: Tensor) -> Tensor {
    let nonNegative = x .>= 0
    let positive = `where`(nonNegative, x, 0.0).log1p()
    let negative = -((-x.clamp(max: 0)).log1p())
    return `where`(nonNegative, positive, negative)
}

/// StableMax(x)_i = s(x_i) / Σ_j s(x_j) over `dim`.
public func stableMax(_ x: Tensor, dim: Int = -1) -> Tensor {
    let s = stableMaxS(x)
    return s / s.sum(dim: dim, keepDim: true)
}

/// LogStableMax(x)_i = log s(x_i) − log Σ_j s(x_j) over `dim`, computed in log space (no probability is formed, so
/// none can underflow to 0 before the log).
public func logStableMax(_ x: Tensor, dim: Int = -1) -> Tensor {
    stableMaxLogS(x) - stableMaxS(x).sum(dim: dim, keepDim: true).log()
}

/// StableMax cross-entropy: −LogStableMax(z)_y per sample, computed in `computeDType` (float64 by default, as the
/// paper's code does) and returned in the logits' dtype, so that a float32 model receives float32 gradients.
///
/// - logits (…, C), targets (…) int64 with the same leading shape.
/// - ignoreIndex: samples with this target contribute 0 and are left out of the mean (PyTorch's rule).
/// - labelSmoothing ε: (1 − ε) · (−log p_y) + ε · mean_c(−log p_c), as `torch.nn.functional.cross_entropy`.
/// - reduction: `.mean` over the samples not ignored (NaN when all are), `.sum`, or `.none` (shape of `targets`,
///   0 at ignored positions).
public func stableMaxCrossEntropy(_ logits: Tensor, _ targets: Tensor, ignoreIndex: Int = -100,
                                  labelSmoothing: Double = 0, computeDType: DType = .float64,
                                  reduction: Reduction = .mean) -> Tensor {
    precondition(logits.ndim >= 1 && Array(logits.shape.dropLast()) == targets.shape,
                 "stableMaxCrossEntropy: logits \(logits.shape) need targets of shape \(Array(logits.shape.dropLast())), got \(targets.shape)")
    precondition((0...1).contains(labelSmoothing), "stableMaxCrossEntropy: labelSmoothing must be in [0, 1], got \(labelSmoothing)")
    let classes = logits.size(-1)
    let z = logits.to(computeDType).reshape([-1, classes])                                  // (N, C)
    let flat = targets.reshape([-1])                                                        // (N)
    let valid = flat .!= ignoreIndex
    let safe = flat.maskedFill(valid.logicalNot(), 0)                                       // ignored → class 0
    // −LogStableMax(z)_y = log Σ_j s(z_j) − log s(z_y): log s is taken of the target logits only (the same numbers
    // as gathering from the full LogStableMax, with half the passes over the (N, C) matrix).
    let logSum = stableMaxS(z).sum(dim: 1).log()                                            // (N)
    let target = z.gather(dim: 1, index: safe.unsqueeze(1)).squeeze(1)                     // (N)
    var perSample = logSum - stableMaxLogS(target)
    if labelSmoothing > 0 {
        let smooth = logSum - stableMaxLogS(z).mean(dim: 1)                                 // mean_c(−log p_c)
        perSample = perSample * (1 - labelSmoothing) + smooth * labelSmoothing
    }
    perSample = `where`(valid, perSample, 0.0)
    let loss: Tensor
    switch reduction {
    case .none: loss = perSample.reshape(targets.shape)
    case .sum: loss = perSample.sum()
    case .mean: loss = perSample.sum() / valid.sum(dtype: computeDType)
    }
    return loss.to(logits.dtype)
}

/// The output head and loss a model trains with, chosen by config (`loss = "softmax" | "stablemax" |
/// "log_stablemax"`). Both StableMax kinds sample and evaluate with StableMax probabilities; they differ only in the
/// precision of the loss:
///
/// - `softmax`: softmax cross-entropy (`crossEntropy`) in the logits' dtype.
/// - `stablemax`: the paper's loss — StableMax cross-entropy with the logits upcast to float64 and the loss cast
///   back. The reference choice; what the grokking study uses.
/// - `logStablemax`: LogStableMax as a drop-in for log-softmax, in the logits' own dtype (no float64 copy of the
///   logits). Same mathematics; for large vocabularies (an LM head's (B, T, V) logits) or devices where float64 is
///   slow. StableMax's s(x) grows linearly, so float32 only absorbs the other classes once the target's s(x) is
///   about 2²⁴ times their sum — far beyond the logits training reaches.
public enum LossKind: String, Codable, Sendable, CaseIterable {
    case softmax
    case stablemax
    case logStablemax = "log_stablemax"

    /// True for the kinds whose probabilities are StableMax's.
    public var usesStableMax: Bool { self != .softmax }
}

/// The training/evaluation loss of `kind` as a function of (logits (…, C), targets (…)); class axis last.
/// The result has the logits' dtype; `.none` gives one loss per target (0 where ignored).
public func lossFunction(_ kind: LossKind, ignoreIndex: Int = -100, labelSmoothing: Double = 0,
                         reduction: Reduction = .mean) -> (Tensor, Tensor) -> Tensor {
    switch kind {
    case .softmax:
        return { logits, targets in
            let classes = logits.size(-1)
            let loss = crossEntropy(logits.reshape([-1, classes]), targets.reshape([-1]), reduction: reduction,
                                    ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing)
            return reduction == .none ? loss.reshape(targets.shape) : loss
        }
    case .stablemax:
        return { logits, targets in
            stableMaxCrossEntropy(logits, targets, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                                  computeDType: .float64, reduction: reduction)
        }
    case .logStablemax:
        return { logits, targets in
            stableMaxCrossEntropy(logits, targets, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing,
                                  computeDType: logits.dtype, reduction: reduction)
        }
    }
}

/// Class probabilities over the last axis for sampling and evaluation: softmax, or StableMax for both StableMax
/// kinds. Temperature divides the logits before (StableMax is not shift-invariant, but scaling is still a
/// temperature); a −∞ logit (top-k masking) gets probability 0 under both.
public func probabilities(_ kind: LossKind) -> (Tensor) -> Tensor {
    kind.usesStableMax ? { stableMax($0, dim: -1) } : { $0.softmax(dim: -1) }
}

/// Log-probabilities over the last axis: log-softmax, or LogStableMax.
public func logProbabilities(_ kind: LossKind) -> (Tensor) -> Tensor {
    kind.usesStableMax ? { logStableMax($0, dim: -1) } : { $0.logSoftmax(dim: -1) }
}
