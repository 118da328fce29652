// Clipping.swift — gradient-norm clipping (torch.nn.utils.clip_grad_norm_).
import Torch

/// Scales the gradients of `params` so that their total p-norm is at most `maxNorm`; returns the norm before
/// clipping (log it: spikes tell of instability). Parameters without a gradient are ignored.
@discardableResult
public func clipGradNorm(_ params: [Tensor], maxNorm: Double, p: Double = 2) -> Double {
    let grads = params.compactMap(\.grad)
    if grads.isEmpty { return 0 }
    let total = Kernels.totalNorm(grads, p: p)
    let coefficient = maxNorm / (total + 1e-6)
    if coefficient < 1 { Kernels.scale(grads, by: coefficient) }
    return total
}
