// SGD.swift — stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, on
// libtorch's fused kernel. Matches torch.optim.SGD. Group fields used: lr, weightDecay; the rest are here.
import Torch

public final class SGD: Optimizer {
    public let groups: [ParameterGroup]
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool
    var buffers: [ObjectIdentifier: Tensor] = [:]

    public init(groups: [ParameterGroup], momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and no dampening")
        self.groups = groups
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
    }

    public convenience init(_ params: [Tensor], lr: Double, momentum: Double = 0, dampening: Double = 0,
                            weightDecay: Double = 0, nesterov: Bool = false) {
        self.init(groups: [ParameterGroup(params: params, lr: lr, weightDecay: weightDecay)], momentum: momentum,
                  dampening: dampening, nesterov: nesterov)
    }

    public func step() {
        for g in groups {
            let live = g.withGradients
            if live.isEmpty { continue }
            // The first step of a parameter starts its buffer from the gradient (torch's rule); the fused kernel
            // does that for the whole list, so parameters seen for the first time step separately.
            let fresh = live.filter { buffers[ObjectIdentifier($0.param)] == nil }
            let seen = live.filter { buffers[ObjectIdentifier($0.param)] != nil }
            for item in fresh where momentum != 0 { buffers[ObjectIdentifier(item.param)] = Tensor.zeros(like: item.param) }
            for (batch, first) in [(seen, false), (fresh, true)] where !batch.isEmpty {
                let bufs = momentum != 0 ? batch.map { buffers[ObjectIdentifier($0.param)]! } : []
                Kernels.fusedSGD(params: batch.map(\.param), grads: batch.map(\.grad), momentumBuffers: bufs,
                                 weightDecay: g.weightDecay, momentum: momentum, lr: g.lr, dampening: dampening,
                                 nesterov: nesterov, maximize: false, isFirstStep: first)
            }
        }
    }

    /// Keys "<param name>.momentum_buffer".
    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for g in groups {
            for (name, p) in zip(g.names, g.params) {
                if let b = buffers[ObjectIdentifier(p)] { out["\(name).momentum_buffer"] = b }
            }
        }
        return out
    }

    public func load(stateDict: [String: Tensor]) throws {
        for g in groups {
            for (name, p) in zip(g.names, g.params) {
                guard let b = stateDict["\(name).momentum_buffer"] else { continue }
                guard b.shape == p.shape else { throw OptimizerStateError("SGD momentum for \(name) has shape \(b.shape), parameter \(p.shape)") }
                let own = Tensor.zeros(like: p)
                withNoGrad { own.copy_(b) }
                buffers[ObjectIdentifier(p)] = own
            }
        }
    }
}
