// ParameterEMA.swift — an exponential moving average of the parameters (torch_ema's ExponentialMovingAverage, which
// CortexGPT's StableTrainer names): after every optimizer step shadow ← shadow + (1 − d)(param − shadow) with
// d = min(decay, (1 + n)/(10 + n)) after n updates (torch_ema's use_num_updates warm-up, so a short run is not
// dominated by its initial weights). A hook: it updates after each optimizer step, evaluation and samples run on
// the shadow weights (`withEvaluationWeights`), and the shadow is saved in each checkpoint as ema.safetensors (and
// `mnemo sample | eval RUN` use it).
import Foundation
import Torch
import TorchNN

public final class ParameterEMA: CheckpointedHook, EvaluationWeightsHook {
    public let name = "parameter_ema"
    public let decay: Double
    let names: [String]
    let parameters: [Tensor]
    var shadow: [Tensor]
    public private(set) var updates = 0

    public static let fileName = "ema.safetensors"

    public init(model: Module, decay: Double) {
        self.decay = decay
        let named = model.namedParameters()
        names = named.map(\.name)
        parameters = named.map(\.tensor)
        shadow = parameters.map { $0.detached().clone() }
    }

    /// The decay of the next update.
    var currentDecay: Double { Swift.min(decay, Double(1 + updates) / Double(10 + updates)) }

    public func update() {
        let d = currentDecay
        withNoGrad {
            for (s, p) in zip(shadow, parameters) { s.copy_(s.lerp(p.detached(), weight: 1 - d)) }
        }
        updates += 1
    }

    public func afterOptimizerStep(_ context: StepContext) { update() }

    public func checkpoint(_ state: inout CheckpointState) -> [String: [String: Tensor]] { [Self.fileName: stateDict] }

    public func restore(folder: String, state: CheckpointState, device: Device) throws {
        let path = "\(folder)/\(Self.fileName)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError("\(folder) has no \(Self.fileName): the run was not trained with ema_decay; resume it without --set ema_decay")
        }
        try load(try SafeTensorsIO.load(path, device: device))
    }

    /// Runs `body` with the averaged weights in the model, then puts the trained weights back.
    public func withEvaluationWeights<R>(_ body: () throws -> R) rethrows -> R {
        let trained = withNoGrad { parameters.map { $0.detached().clone() } }
        withNoGrad { for (p, s) in zip(parameters, shadow) { p.copy_(s) } }
        defer { withNoGrad { for (p, t) in zip(parameters, trained) { p.copy_(t) } } }
        return try body()
    }

    /// The shadow by parameter name, plus the update count, for a checkpoint.
    public var stateDict: [String: Tensor] {
        var out = Dictionary(uniqueKeysWithValues: zip(names, shadow.map { $0.detached() }))
        out["__updates__"] = Tensor([Int64(updates)], shape: [1])
        return out
    }

    public func load(_ state: [String: Tensor]) throws {
        for (i, name) in names.enumerated() {
            guard let t = state[name], t.shape == shadow[i].shape else {
                throw ConfigError("ema.safetensors does not match the model (parameter \(name)); the checkpoint is not this run's")
            }
            withNoGrad { shadow[i].copy_(t) }
        }
        updates = state["__updates__"].map { Int($0.toArray(Int64.self)[0]) } ?? 0
    }

    /// Copies a saved shadow into a model's parameters (sampling or evaluating a run trained with EMA).
    public static func loadAveraged(_ state: [String: Tensor], into model: Module) throws {
        var weights = state
        weights["__updates__"] = nil
        for (name, p) in model.namedParameters() {
            guard let t = weights[name], t.shape == p.shape else {
                throw ConfigError("ema.safetensors does not match the model (parameter \(name))")
            }
            withNoGrad { p.copy_(t) }
        }
    }
}
