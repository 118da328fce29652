// TrainingHook.swift — the one extension point of the trainer: everything that acts around a step from outside the
// model's forward is a hook — gradient all-reduce, ⊥Grad, the model's own after-step work (memory-bank EMA, Cortex
// consolidation), the parameter EMA, stability tracking, residual diagnostics, softmax-collapse diagnostics, and the
// hooks a config names (`hooks = ["grad_norm:wte"]`, HookRegistry.swift). A hook has up to four entry points, called
// by the trainer in a fixed order:
//
//   each iteration:  atStepStart          — before evaluation and the step's batches (a held-out batch's loss)
//                    evaluation (when due): the loss estimate and full pass, then atEvaluation — each hook's
//                                           metrics go on the evaluation's line; then samples and the checkpoint
//                    forward + backward over the micro-batches (gradients accumulate)
//                    afterBackward        — hooks by stage: .synchronizeGradients (all-reduce), then
//                                           .transformGradients (⊥Grad), then .other; gradients are complete,
//                                           not yet clipped
//                    clip (the pre-clip norms are in the context), optimizer step
//                    afterOptimizerStep   — parameters updated (model state, EMA, stability), same stage order
//                    zero the gradients, the training line
//
// Within a stage, hooks run in the order they were added. Metrics a hook records in `context.metrics` during a step
// go on that step's training line when it logs one, else on a line of their own (a spike, a held-out loss); what
// `atEvaluation` returns goes on the evaluation line. A hook whose state must survive a resume conforms to
// CheckpointedHook; the one hook that swaps in the weights evaluation uses (the parameter EMA) to
// EvaluationWeightsHook.
import Foundation
import MnemoData
import MnemoModels
import Torch
import TorchNN
import TorchOptim

public enum HookStage: Int, Comparable, Sendable {
    case synchronizeGradients = 0
    case transformGradients = 1
    case other = 2
    public static func < (a: HookStage, b: HookStage) -> Bool { a.rawValue < b.rawValue }
}

/// Metrics hooks record during a step (numbers, or 0-d tensors read only when the line is written).
public final class HookMetrics {
    public private(set) var values: [String: Double] = [:]
    var tensors: [String: Tensor] = [:]
    public init() {}
    public func record(_ key: String, _ value: Double) { values[key] = value }
    public func record(_ key: String, _ value: Tensor) { tensors[key] = value }
    public var isEmpty: Bool { values.isEmpty && tensors.isEmpty }

    /// Everything recorded, read, and the channel emptied.
    func drain() -> [String: Double] {
        var out = values
        for (key, tensor) in tensors { out[key] = tensor.item() }
        values = [:]
        tensors = [:]
        return out
    }
}

/// What a hook sees of the step.
public struct StepContext {
    /// The iteration being run (0-based; after the optimizer step it is still this iteration's number).
    public let step: Int
    public let model: any LanguageModel
    public let optimizer: any Optimizer
    public let device: Device
    /// The run's compute dtype (bfloat16: the forward runs under autocast).
    public var dtype: ComputeDType = .float32
    /// At evaluation: one val batch on the device, drawn for the hooks.
    public var evaluationBatch: Batch? = nil
    /// After the optimizer step: the step's task loss (this rank's, mean over micro-batches).
    public var loss: Double? = nil
    /// After the optimizer step: each clipping group's gradient norm before clipping.
    public var gradientNorms: [String: Double] = [:]
    /// This step writes a training line (hooks that log per step record their metrics on such steps).
    public var logsThisStep = false
    /// The channel for per-step metrics.
    public var metrics = HookMetrics()
    /// The objective's task loss of a batch in eval mode, without gradients, on the weights evaluation uses,
    /// averaged over data-parallel ranks (every rank must call it at the same point).
    public var evaluate: (Batch) throws -> Double = { _ in .nan }
    /// A line for the run's log and terminal.
    public var say: (String) -> Void = { _ in }
    /// Data parallel: this process's rank and the number of ranks (0 and 1 alone).
    public var rank = 0
    public var ranks = 1

    public init(step: Int, model: any LanguageModel, optimizer: any Optimizer, device: Device) {
        self.step = step
        self.model = model
        self.optimizer = optimizer
        self.device = device
    }
}

public protocol TrainingHook: AnyObject {
    var name: String { get }
    var stage: HookStage { get }
    func atStepStart(_ context: StepContext) throws
    func afterBackward(_ context: StepContext) throws
    func afterOptimizerStep(_ context: StepContext) throws
    /// Metrics to log with the evaluation (keys should be unique across hooks).
    func atEvaluation(_ context: StepContext) throws -> [String: Double]
}

extension TrainingHook {
    public var stage: HookStage { .other }
    public func atStepStart(_ context: StepContext) {}
    public func afterBackward(_ context: StepContext) {}
    public func afterOptimizerStep(_ context: StepContext) {}
    public func atEvaluation(_ context: StepContext) -> [String: Double] { [:] }
}

/// A hook whose state is part of each checkpoint, so that a resumed run continues as an uninterrupted one.
public protocol CheckpointedHook: TrainingHook {
    /// Files to write into the checkpoint folder (name → tensors); `state` may keep small values in state.json.
    func checkpoint(_ state: inout CheckpointState) -> [String: [String: Tensor]]
    /// Restores from the checkpoint `folder` whose state.json is `state`.
    func restore(folder: String, state: CheckpointState, device: Device) throws
}

/// The hook that decides which weights evaluation and samples use (the parameter EMA's average).
public protocol EvaluationWeightsHook: TrainingHook {
    func withEvaluationWeights<R>(_ body: () throws -> R) rethrows -> R
}

/// ⊥Grad (Prieto et al., ICLR 2025) as a hook: after backward, every gradient loses its component along its
/// parameter and is rescaled to its original norm (TorchOptim's `orthogonalGradient`), skipping parameters by name
/// substring or 1-D shape. Because the norm of each gradient is kept, clipping afterwards sees the same norm.
public final class OrthogonalGradientHook: TrainingHook {
    public let name = "orthogonal_gradient"
    public let stage = HookStage.transformGradients
    let skipSubstrings: [String]
    let skipOneDimensional: Bool

    public init(skipSubstrings: [String], skipOneDimensional: Bool) {
        self.skipSubstrings = skipSubstrings
        self.skipOneDimensional = skipOneDimensional
    }

    public func afterBackward(_ context: StepContext) {
        for group in context.optimizer.groups {
            for (i, param) in group.params.enumerated() {
                guard let grad = param.grad else { continue }
                let name = group.names[i]
                if orthogonalGradientSkips(name: name, shape: param.shape, skipSubstrings: skipSubstrings,
                                           skipOneDimensional: skipOneDimensional) { continue }
                param.grad = orthogonalGradient(param, grad)
            }
        }
    }
}

/// The model's own work after each optimizer step (OptimizerStepObserver: the memory bank's EMA, CortexGPT's
/// consolidation), as a hook.
public final class ModelUpdateHook: TrainingHook {
    public let name = "model_update"
    let observer: any OptimizerStepObserver
    /// What the model changed since the last training line (memory_rows_updated: the bank's EMA coverage).
    private var sinceLastLine: [String: Int] = [:]
    public init(_ observer: any OptimizerStepObserver) { self.observer = observer }

    public func afterOptimizerStep(_ context: StepContext) {
        sinceLastLine.merge(observer.afterOptimizerStep(step: context.step), uniquingKeysWith: +)
        guard context.logsThisStep else { return }
        for (key, count) in sinceLastLine { context.metrics.record(key, Double(count)) }
        sinceLastLine = [:]
    }
}

/// The grokking paper's softmax-collapse diagnostics at every evaluation, on one val batch in eval mode: the
/// fraction of positions whose float32 softmax is exactly one-hot (sc_fraction), of exactly-zero losses
/// (zero_loss_fraction, under the run's loss kind), the median logit margin, and the norm of the model's output
/// weight (head_weight_norm).
public final class SoftmaxCollapseHook: TrainingHook {
    public let name = "softmax_collapse"
    let lossKind: LossKind

    public init(lossKind: LossKind) { self.lossKind = lossKind }

    public func atEvaluation(_ context: StepContext) -> [String: Double] {
        guard let batch = context.evaluationBatch else { return [:] }
        let model = context.model
        model.eval()
        defer { model.train() }
        return withNoGrad {
            let logits = model.forward(batch.inputs, targets: nil).logits.float()
            let targets = NextTokenObjective.aligned(batch.targets, to: logits).reshape([-1])
            let flat = logits.reshape([-1, logits.size(-1)])
            // targets -1 (padding, masked positions) are left out, as the trainer's loss leaves them out
            let perSample = TorchNN.lossFunction(lossKind, ignoreIndex: -1, reduction: .none)(flat, targets)
            let stats = SoftmaxCollapse.stats(logits: flat, targets: targets, perSampleLosses: perSample, ignoreIndex: -1)
            var out = ["sc_fraction": stats.collapsedFraction, "zero_loss_fraction": stats.zeroLossFraction ?? .nan,
                       "median_margin": stats.medianMargin]
            if let weight = model.outputWeight { out["head_weight_norm"] = SoftmaxCollapse.weightNorm([weight]) }
            return out
        }
    }
}

/// The residual stream's size per layer (resid_in/i, resid_mid/i, resid_norm/i, resid_out) at every evaluation, on one
/// fixed val batch (the same tokens every time: a generator of its own, seeded once), for models with a residual
/// stream (ResidualDiagnostics).
public final class ResidualDiagnosticsHook: TrainingHook {
    public let name = "residual_diagnostics"
    let diagnosed: any ResidualDiagnostics
    let val: any BatchSource
    let batchSize: Int

    public init(_ diagnosed: any ResidualDiagnostics, val: any BatchSource, batchSize: Int) {
        self.diagnosed = diagnosed
        self.val = val
        self.batchSize = batchSize
    }

    public func atEvaluation(_ context: StepContext) -> [String: Double] {
        let model = context.model
        model.eval()
        defer { model.train() }
        let batch = val.randomBatch(size: Swift.min(batchSize, 8), generator: Generator(seed: 20_241_231), device: context.device)
        return diagnosed.residualStatistics(batch.inputs).metrics
    }
}
