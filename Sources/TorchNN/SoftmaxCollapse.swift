// SoftmaxCollapse.swift — diagnostics of softmax collapse (SC) and naive loss minimisation, from logits and
// targets, for any classifier or language model (Prieto et al., ICLR 2025).
//
// SC: once the target logit leads the others by enough (about 17 in float32, 37 in float64), every
// exp(z_j − max z) of the other classes is absorbed when added to 1, the softmax of the target is exactly 1 and its
// loss and gradient exactly 0: learning stops. What is measured, per sample (a row of the last axis):
//   - collapsed: Σ_j exp(z_j − max z) == 1 exactly, in the logits' own dtype (the working precision);
//   - zero loss: the per-sample loss is exactly 0 (give the losses of the loss the model trains with);
//   - margin: target logit minus the best other logit (computed in float64).
// Naive loss minimisation (NLM): the update grows the weights along themselves (scaling the logits), seen as a
// cosine near 1 between a layer's update Δθ and its weights θ.
//
// Every function returns plain numbers (one host sync each); nothing keeps a graph. Samples whose target is
// `ignoreIndex` are left out.
import Torch

public enum SoftmaxCollapse {
    /// The diagnostics of one batch of logits.
    public struct Stats: Sendable, Equatable {
        /// Fraction of samples whose Σ exp(z − max z) is exactly 1 in the logits' dtype.
        public var collapsedFraction: Double
        /// Fraction of samples whose per-sample loss is exactly 0 (nil when no losses were given).
        public var zeroLossFraction: Double?
        /// Median of (target logit − best other logit); the lower middle value for an even count (torch.median).
        public var medianMargin: Double
        /// Samples counted (targets not ignored).
        public var count: Int
    }

    /// The rows of `logits` (…, C) and entries of `targets` (…) whose target is not `ignoreIndex`, as (N, C), (N).
    public static func validRows(_ logits: Tensor, _ targets: Tensor, ignoreIndex: Int = -100) -> (Tensor, Tensor) {
        let classes = logits.size(-1)
        let rows = logits.detached().reshape([-1, classes])
        let flat = targets.reshape([-1])
        let keep = (flat .!= ignoreIndex).nonzero().reshape([-1])
        if keep.count == flat.count { return (rows, flat) }
        return (rows.indexSelect(dim: 0, index: keep), flat.indexSelect(dim: 0, index: keep))
    }

    /// Per-sample flag (N) bool: Σ_j exp(z_j − max z) == 1 exactly, over the last axis, in the logits' dtype.
    public static func collapsed(_ logits: Tensor) -> Tensor {
        let z = logits.detached()
        let shifted = z - z.amax(dims: [-1], keepDim: true)
        return shifted.exp().sum(dims: [-1]) .== 1
    }

    /// Fraction of rows of `logits` (…, C) that are collapsed (see `collapsed`).
    public static func collapsedFraction(_ logits: Tensor) -> Double {
        let flags = collapsed(logits)
        return flags.count == 0 ? .nan : flags.sum(dtype: .float64).item() / Double(flags.count)
    }

    /// Fraction of exactly-zero entries of per-sample losses.
    public static func zeroLossFraction(_ perSampleLosses: Tensor) -> Double {
        let n = perSampleLosses.count
        return n == 0 ? .nan : (perSampleLosses.detached() .== 0).sum(dtype: .float64).item() / Double(n)
    }

    /// Per-sample margins (N) float64: target logit minus the largest other logit; logits (N, C), targets (N).
    /// The largest other logit is the best of the top two that is not the target's class, so no (N, C) copy is
    /// made (a 65,536 × 50,304 float64 copy would be 26 GB); float32 → float64 is exact, so the result equals the
    /// subtraction done on float64 logits.
    public static func margins(_ logits: Tensor, _ targets: Tensor) -> Tensor {
        precondition(logits.ndim == 2 && targets.shape == [logits.size(0)],
                     "margins: logits (N, C) and targets (N), got \(logits.shape) and \(targets.shape)")
        let z = logits.detached()
        let target = z.gather(dim: 1, index: targets.unsqueeze(1)).squeeze(1).double()   // (N)
        guard z.size(1) > 1 else { return Tensor.full([z.size(0)], .infinity, dtype: .float64, device: z.device) }
        let top = z.topk(2, dim: 1, largest: true, sorted: true)                          // (N, 2) values, classes
        let best = top.values[.all, 0].double(), second = top.values[.all, 1].double()    // (N) each
        let targetIsBest = top.indices[.all, 0] .== targets                               // (N) bool
        return target - Torch.where(targetIsBest, second, best)
    }

    /// Median margin (lower middle for an even count, as torch.median); NaN for no samples.
    public static func medianMargin(_ logits: Tensor, _ targets: Tensor) -> Double {
        median(margins(logits, targets))
    }

    /// All diagnostics of one batch. `perSampleLosses` (same count as the valid targets, or the full `.none` loss
    /// of every target when `ignoreIndex` never occurs) gives the zero-loss fraction.
    public static func stats(logits: Tensor, targets: Tensor, perSampleLosses: Tensor? = nil,
                             ignoreIndex: Int = -100) -> Stats {
        let (rows, valid) = validRows(logits, targets, ignoreIndex: ignoreIndex)
        var zero: Double?
        if let perSampleLosses {
            let flatTargets = targets.reshape([-1])
            let losses = perSampleLosses.detached().reshape([-1])
            let kept = losses.count == valid.count ? losses
                : losses.indexSelect(dim: 0, index: (flatTargets .!= ignoreIndex).nonzero().reshape([-1]))
            zero = zeroLossFraction(kept)
        }
        return Stats(collapsedFraction: collapsedFraction(rows), zeroLossFraction: zero,
                     medianMargin: medianMargin(rows, valid), count: valid.count)
    }

    // MARK: weights and updates

    /// The L2 norm of all `tensors` taken together (as one flattened vector).
    public static func weightNorm(_ tensors: [Tensor]) -> Double {
        let squares = tensors.map { $0.detached().double().square().sum().item() }
        return squares.reduce(0, +).squareRoot()
    }

    /// cos(a, b) of the two tensors flattened (float64); NaN when either is zero.
    public static func cosine(_ a: Tensor, _ b: Tensor) -> Double {
        let x = a.detached().double().reshape([-1]), y = b.detached().double().reshape([-1])
        let dot = (x * y).sum().item()
        let norms = x.norm().item() * y.norm().item()
        return norms == 0 ? .nan : dot / norms
    }

    /// Cosine between one step's update (after − before) and the weights before it: near 1 when the step only
    /// scales the weights up (naive loss minimisation), near 0 for ⊥Grad.
    public static func updateCosine(before: Tensor, after: Tensor) -> Double {
        cosine(after.detached() - before.detached(), before)
    }

    /// The median of a 1-D tensor (lower middle for an even count).
    static func median(_ values: Tensor) -> Double {
        let n = values.count
        if n == 0 { return .nan }
        let sorted = values.reshape([-1]).sort().values
        return sorted[(n - 1) / 2].item()
    }
}
