// AdamW.swift — Adam with decoupled weight decay (Loshchilov & Hutter), on libtorch's fused multi-tensor
// kernel. Per group: lr, betas, eps, weight decay. Matches torch.optim.AdamW (amsgrad off).
import Torch

public final class AdamW: Optimizer {
    public let groups: [ParameterGroup]
    final class State {
        let expAvg: Tensor, expAvgSq: Tensor, step: Tensor
        init(like p: Tensor) {
            expAvg = Tensor.zeros(like: p)
            expAvgSq = Tensor.zeros(like: p)
            step = Tensor.zeros([], dtype: .float32, device: p.device)
        }
    }
    var state: [ObjectIdentifier: State] = [:]

    public init(groups: [ParameterGroup]) { self.groups = groups }

    /// One group of parameters with the same settings.
    public convenience init(_ params: [Tensor], lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0.01) {
        self.init(groups: [ParameterGroup(params: params, lr: lr, weightDecay: weightDecay, betas: betas, eps: eps)])
    }

    public func step() {
        for g in groups {
            let live = g.withGradients
            if live.isEmpty { continue }
            let states = live.map { item in state[ObjectIdentifier(item.param), default: State(like: item.param)] }
            for (item, s) in zip(live, states) { state[ObjectIdentifier(item.param)] = s }
            Kernels.fusedAdamW(params: live.map(\.param), grads: live.map(\.grad), expAvgs: states.map(\.expAvg),
                               expAvgSqs: states.map(\.expAvgSq), steps: states.map(\.step), lr: g.lr,
                               beta1: g.betas.0, beta2: g.betas.1, weightDecay: g.weightDecay, eps: g.eps)
        }
    }

    /// Keys "<param name>.exp_avg", ".exp_avg_sq", ".step".
    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for g in groups {
            for (name, p) in zip(g.names, g.params) {
                guard let s = state[ObjectIdentifier(p)] else { continue }
                out["\(name).exp_avg"] = s.expAvg
                out["\(name).exp_avg_sq"] = s.expAvgSq
                out["\(name).step"] = s.step
            }
        }
        return out
    }

    public func load(stateDict: [String: Tensor]) throws {
        for g in groups {
            for (name, p) in zip(g.names, g.params) {
                guard let m = stateDict["\(name).exp_avg"] else { continue }
                guard let v = stateDict["\(name).exp_avg_sq"], let step = stateDict["\(name).step"],
                      m.shape == p.shape, v.shape == p.shape else {
                    throw OptimizerStateError("AdamW state for \(name) is incomplete or has the wrong shape (parameter \(p.shape))")
                }
                let s = State(like: p)
                withNoGrad {
                    s.expAvg.copy_(m)
                    s.expAvgSq.copy_(v)
                    s.step.copy_(step)
                }
                state[ObjectIdentifier(p)] = s
            }
        }
    }
}
