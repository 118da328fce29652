// OrthogonalGradient.swift — ⊥Grad (Prieto et al., ICLR 2025): before the wrapped optimizer steps, each parameter's
// gradient loses its component along the parameter itself and is rescaled to its original norm, so that no step
// can just scale the weights up (naive loss minimisation, which drives softmax collapse).
//
// Per parameter tensor θ with gradient g, both flattened:
//     g⊥ = g − (θ·g / (θ·θ + 1e-30)) θ,    then    g⊥ ← g⊥ · ‖g‖ / (‖g⊥‖ + 1e-30)
// computed in the parameter's dtype and written back as the gradient. It composes with any `Optimizer` (⊥AdamW,
// ⊥SGD) through `GradientTransformingOptimizer`; the wrapped optimizer's weight decay, momentum and state are
// untouched (the state holds moments of the projected gradients).
//
// Skipping is by parameter *name* — the names of the `ParameterGroup`s, so build the groups from
// `module.namedParameters()`: with the default names ("param0", …) a substring like "bias" never matches.
import Torch

/// ⊥Grad of one parameter: `grad` with its component along `param` removed, rescaled to ‖grad‖. Same shape and
/// dtype as `grad`; records no autograd history. A zero parameter leaves the gradient as it is.
public func orthogonalGradient(_ param: Tensor, _ grad: Tensor) -> Tensor {
    withNoGrad {
        let w = param.detached().reshape([-1])
        let g = grad.detached().reshape([-1])
        let projection = (w * g).sum() / ((w * w).sum() + 1e-30)   // 0-d
        let orthogonal = g - projection * w
        let rescale = g.norm() / (orthogonal.norm() + 1e-30)        // 0-d
        return (orthogonal * rescale).reshape(grad.shape)
    }
}

/// Whether ⊥Grad leaves parameter `name` of shape `shape` alone: its name contains one of `skipSubstrings`, or it is
/// 1-D (biases, norm gains) and `skipOneDimensional` is set.
public func orthogonalGradientSkips(name: String, shape: [Int], skipSubstrings: [String],
                                    skipOneDimensional: Bool) -> Bool {
    if skipOneDimensional && shape.count <= 1 { return true }
    return skipSubstrings.contains { !$0.isEmpty && name.contains($0) }
}

/// `base` with ⊥Grad applied to every gradient first (⊥AdamW, ⊥SGD, …).
///
///     let groups = [ParameterGroup(params: model.parameters(), names: model.namedParameters().map(\.name),
///                                  lr: 1e-2, weightDecay: 0, betas: (0.9, 0.99), eps: 1e-25)]
///     let optimizer = orthogonalized(AdamW(groups: groups), skipSubstrings: ["bias", "norm"])
///
/// - skipSubstrings: parameters whose group name contains any of these keep their raw gradient.
/// - skipOneDimensional: 1-D parameters (and scalars) keep their raw gradient.
public func orthogonalized(_ base: any Optimizer, skipSubstrings: [String] = [],
                           skipOneDimensional: Bool = false) -> GradientTransformingOptimizer {
    GradientTransformingOptimizer(base) { name, param, grad in
        if orthogonalGradientSkips(name: name, shape: param.shape, skipSubstrings: skipSubstrings,
                                   skipOneDimensional: skipOneDimensional) {
            return nil
        }
        return orthogonalGradient(param, grad)
    }
}
