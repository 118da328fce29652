// Kernels.swift — libtorch's multi-tensor optimizer kernels (fused AdamW and SGD, foreach norms), for
// TorchOptim. They update tensors in place and record no autograd history.
import CTorch

public enum Kernels {
    /// One AdamW step for every parameter in the lists (torch's `_fused_adamw_`). `steps` are float32 0-d
    /// counters, incremented before the update (as torch.optim does).
    public static func fusedAdamW(params: [Tensor], grads: [Tensor], expAvgs: [Tensor], expAvgSqs: [Tensor],
                                  steps: [Tensor], lr: Double, beta1: Double, beta2: Double, weightDecay: Double,
                                  eps: Double, maximize: Bool = false) {
        let n = params.count
        precondition(grads.count == n && expAvgs.count == n && expAvgSqs.count == n && steps.count == n)
        let p: [OpaquePointer?] = params.map(\.handle), g: [OpaquePointer?] = grads.map(\.handle)
        let m: [OpaquePointer?] = expAvgs.map(\.handle), v: [OpaquePointer?] = expAvgSqs.map(\.handle)
        let s: [OpaquePointer?] = steps.map(\.handle)
        check(mt_fused_adamw_(p, g, m, v, s, Int64(n), lr, beta1, beta2, weightDecay, eps, maximize), "fused AdamW")
    }

    /// One SGD step (torch's `_fused_sgd_`); momentum buffers are unused when momentum is 0.
    public static func fusedSGD(params: [Tensor], grads: [Tensor], momentumBuffers: [Tensor], weightDecay: Double,
                                momentum: Double, lr: Double, dampening: Double, nesterov: Bool, maximize: Bool,
                                isFirstStep: Bool) {
        let p: [OpaquePointer?] = params.map(\.handle), g: [OpaquePointer?] = grads.map(\.handle)
        let b: [OpaquePointer?] = momentumBuffers.map(\.handle)
        check(mt_fused_sgd_(p, g, b, Int64(p.count), weightDecay, momentum, lr, dampening, nesterov, maximize, isFirstStep),
              "fused SGD")
    }

    /// The p-norm of all tensors taken together (torch.nn.utils.get_total_norm).
    public static func totalNorm(_ tensors: [Tensor], p: Double = 2) -> Double {
        let h: [OpaquePointer?] = tensors.map(\.handle)
        let norm = mt_total_norm(h, Int64(h.count), p)
        if norm.isNaN, mt_last_error() != nil { fail("totalNorm") }
        return norm
    }

    /// Multiplies every tensor in place by `factor`.
    public static func scale(_ tensors: [Tensor], by factor: Double) {
        let h: [OpaquePointer?] = tensors.map(\.handle)
        check(mt_foreach_mul_scalar_(h, Int64(h.count), factor), "foreach mul_")
    }

    public static func zero(_ tensors: [Tensor]) {
        let h: [OpaquePointer?] = tensors.map(\.handle)
        check(mt_foreach_zero_(h, Int64(h.count)), "foreach zero_")
    }
}
