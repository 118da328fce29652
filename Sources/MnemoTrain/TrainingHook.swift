// TrainingHook.swift — techniques that act on the training step from outside the model: gradient all-reduce,
// ⊥Grad, memory EMA, consolidation, parameter EMA, extra evaluation metrics. A hook is one object with up to
// three entry points, called by the trainer in a fixed order:
//
//   each iteration:  forward + backward over the micro-batches (gradients accumulate)
//                    afterBackward        — hooks by stage: .synchronizeGradients (all-reduce), then
//                                           .transformGradients (⊥Grad), then .other; gradients are complete,
//                                           not yet clipped
//                    clip (the pre-clip norm is logged), optimizer step
//                    afterOptimizerStep   — parameters updated (EMA, consolidation), same stage order
//                    zero the gradients
//   each evaluation: the loss estimate and full pass, then atEvaluation — each hook's metrics are logged with
//                    the evaluation's line; then samples and the checkpoint
//
// Within a stage, hooks run in the order they were added.
import Torch
import TorchNN
import TorchOptim
import MnemoModels

public enum HookStage: Int, Comparable, Sendable {
    case synchronizeGradients = 0
    case transformGradients = 1
    case other = 2
    public static func < (a: HookStage, b: HookStage) -> Bool { a.rawValue < b.rawValue }
}

/// What a hook sees of the step.
public struct StepContext {
    /// The iteration being run (0-based; after the optimizer step it is still this iteration's number).
    public let step: Int
    public let model: any LanguageModel
    public let optimizer: any Optimizer
    public let device: Device
    /// At evaluation: one val batch (x, y) on the device, drawn for the hooks.
    public var evaluationBatch: (x: Tensor, y: Tensor)? = nil
    /// The run's compute dtype ("float32" or "bfloat16" autocast).
    public var dtype = "float32"
}

public protocol TrainingHook: AnyObject {
    var name: String { get }
    var stage: HookStage { get }
    func afterBackward(_ context: StepContext) throws
    func afterOptimizerStep(_ context: StepContext)
    /// Metrics to log with the evaluation (keys should be unique across hooks).
    func atEvaluation(_ context: StepContext) -> [String: Double]
}

extension TrainingHook {
    public var stage: HookStage { .other }
    public func afterBackward(_ context: StepContext) {}
    public func afterOptimizerStep(_ context: StepContext) {}
    public func atEvaluation(_ context: StepContext) -> [String: Double] { [:] }
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

/// The grokking paper's softmax-collapse diagnostics at every evaluation, on one val batch in eval mode: the
/// fraction of positions whose float32 softmax is exactly one-hot (sc_fraction), of exactly-zero losses
/// (zero_loss_fraction, under the run's loss kind), the median logit margin, and the norm of the model's output
/// weight (head_weight_norm).
public final class SoftmaxCollapseHook: TrainingHook {
    public let name = "softmax_collapse"
    let lossKind: LossKind

    public init(lossKind: LossKind) { self.lossKind = lossKind }

    public func atEvaluation(_ context: StepContext) -> [String: Double] {
        guard let (x, y) = context.evaluationBatch else { return [:] }
        let model = context.model
        model.eval()
        defer { model.train() }
        return withNoGrad {
            let logits = model.forward(x, targets: nil).logits.float()
            let flat = logits.reshape([-1, logits.size(-1)]), targets = y.reshape([-1])
            // targets -1 (padding of padded rows) are left out, as the trainer's loss leaves them out
            let perSample = TorchNN.lossFunction(lossKind, ignoreIndex: -1, reduction: .none)(flat, targets)
            let stats = SoftmaxCollapse.stats(logits: flat, targets: targets, perSampleLosses: perSample, ignoreIndex: -1)
            var out = ["sc_fraction": stats.collapsedFraction, "zero_loss_fraction": stats.zeroLossFraction ?? .nan,
                       "median_margin": stats.medianMargin]
            if let weight = model.outputWeight { out["head_weight_norm"] = SoftmaxCollapse.weightNorm([weight]) }
            return out
        }
    }
}
