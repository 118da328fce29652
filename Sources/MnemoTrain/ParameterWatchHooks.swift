// ParameterWatchHooks.swift — hooks a config enables to watch named parameters (HookRegistry: `hooks =
// ["grad_norm:wte", "weight_norm:lm_head", "update_cos:layers.2"]`). NAME selects every parameter whose name contains
// it; a NAME that selects nothing is refused before training starts, with names that exist.
//
//   grad_norm:NAME    grad_norm/NAME    the selected gradients' joint L2 norm after backward and data parallel's
//                                       all-reduce, before clipping (⊥Grad keeps each gradient's norm), each logged step
//   weight_norm:NAME  weight_norm/NAME  the selected parameters' joint L2 norm after the optimizer step, each logged step
//   update_cos:NAME   update_cos/NAME   cos(θ_after − θ_before, θ_before) of the selected parameters' step (the
//                                       grokking paper's update cosine of the output layer), each logged step
import MnemoModels
import Torch
import TorchNN

/// The parameters of `model` whose names contain `match` (refused when none does).
func watchedParameters(_ model: any LanguageModel, matching match: String, hook: String) throws -> [Tensor] {
    let named = model.namedParameters()
    let chosen = named.filter { $0.name.contains(match) }.map(\.tensor)
    guard !chosen.isEmpty else {
        throw ConfigError("hooks: \(hook):\(match) selects no parameter (no name contains \"\(match)\"); names look like \(named.prefix(4).map(\.name).joined(separator: ", "))")
    }
    return chosen
}

public final class GradientNormHook: TrainingHook {
    public let name: String
    let parameters: [Tensor]

    public init(model: any LanguageModel, matching match: String) throws {
        name = "grad_norm/\(match)"
        parameters = try watchedParameters(model, matching: match, hook: "grad_norm")
    }

    public func afterBackward(_ context: StepContext) {
        guard context.logsThisStep else { return }
        context.metrics.record(name, Kernels.totalNorm(parameters.compactMap(\.grad)))
    }
}

public final class WeightNormHook: TrainingHook {
    public let name: String
    let parameters: [Tensor]

    public init(model: any LanguageModel, matching match: String) throws {
        name = "weight_norm/\(match)"
        parameters = try watchedParameters(model, matching: match, hook: "weight_norm")
    }

    public func afterOptimizerStep(_ context: StepContext) {
        guard context.logsThisStep else { return }
        context.metrics.record(name, SoftmaxCollapse.weightNorm(parameters))
    }
}

public final class UpdateCosineHook: TrainingHook {
    public let name: String
    let parameters: [Tensor]
    var before: Tensor?

    public init(model: any LanguageModel, matching match: String) throws {
        name = "update_cos/\(match)"
        parameters = try watchedParameters(model, matching: match, hook: "update_cos")
    }

    var flat: Tensor { cat(parameters.map { $0.detached().reshape([-1]) }, dim: 0) }

    public func afterBackward(_ context: StepContext) {
        before = context.logsThisStep ? withNoGrad { flat.clone() } : nil
    }

    public func afterOptimizerStep(_ context: StepContext) {
        guard let before else { return }
        context.metrics.record(name, SoftmaxCollapse.updateCosine(before: before, after: flat))
        self.before = nil
    }
}
