// GradientTransform.swift — wraps an optimizer so that gradients are rewritten before it steps
// (⊥Grad, per-parameter scaling, noise…). The transform edits `grad` in place or returns a replacement.
import Torch

public final class GradientTransformingOptimizer: Optimizer {
    public let base: any Optimizer
    /// Called for each parameter that has a gradient: (name, parameter, gradient) → new gradient or nil to keep.
    public let transform: (String, Tensor, Tensor) -> Tensor?

    public init(_ base: any Optimizer, transform: @escaping (String, Tensor, Tensor) -> Tensor?) {
        self.base = base
        self.transform = transform
    }

    public var groups: [ParameterGroup] { base.groups }

    public func step() {
        withNoGrad {
            for g in groups {
                for item in g.withGradients {
                    if let replacement = transform(item.name, item.param, item.grad) { item.param.grad = replacement }
                }
            }
        }
        base.step()
    }

    public func stateDict() -> [String: Tensor] { base.stateDict() }
    public func load(stateDict: [String: Tensor]) throws { try base.load(stateDict: stateDict) }
}
