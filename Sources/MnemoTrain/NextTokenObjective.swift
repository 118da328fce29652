// NextTokenObjective.swift — next-token cross-entropy over the targets that are not -1 (the batch's loss mask), with
// the run's loss kind (softmax, or the grokking paper's StableMax / LogStableMax), label smoothing in the training
// form only, and the model's auxiliary losses added with their weights:
//
//   total = taskWeight · CE_ε(logits, targets) + Σ weight_i · aux_i        (back-propagated)
//   task  = CE(logits, targets)                                            (logged and evaluated)
//
// A model whose logits cover fewer positions than the targets (T' < T: the grokking models answer once) is scored on
// the last T' targets. A model that fused its head and loss (`fused = true`: softmax, no smoothing) gives the task
// loss itself (ModelOutput.taskLoss).
import MnemoData
import MnemoModels
import Torch
import TorchNN

public final class NextTokenObjective: Objective {
    public let lossKind: LossKind
    public let labelSmoothing: Double
    let plain: (Tensor, Tensor) -> Tensor
    let smoothed: (Tensor, Tensor) -> Tensor

    public init(lossKind: LossKind = .softmax, labelSmoothing: Double = 0) {
        self.lossKind = lossKind
        self.labelSmoothing = labelSmoothing
        plain = TorchNN.lossFunction(lossKind, ignoreIndex: -1)
        smoothed = labelSmoothing > 0 ? TorchNN.lossFunction(lossKind, ignoreIndex: -1, labelSmoothing: labelSmoothing) : plain
    }

    public var probabilities: (Tensor) -> Tensor { TorchNN.probabilities(lossKind) }

    /// The targets (B, T) that logits (B, T', V) answer: all of them, or the last T' when the model predicts fewer
    /// positions (T' = 1: the grokking models answer once).
    public static func aligned(_ targets: Tensor, to logits: Tensor) -> Tensor {
        let (answered, given) = (logits.size(1), targets.size(1))
        return answered < given ? targets.narrow(dim: 1, start: given - answered, length: answered) : targets
    }

    public func loss(_ model: any LanguageModel, on batch: Batch, training: Bool) -> ObjectiveLoss {
        let output = model.forward(batch.inputs, targets: batch.targets)
        let objective: Tensor, task: Tensor
        if let fused = output.taskLoss {                       // the model's own (fused) cross-entropy
            (objective, task) = (fused, fused)
        } else {
            let targets = Self.aligned(batch.targets, to: output.logits)
            let smoothing = training && labelSmoothing > 0
            objective = smoothing ? smoothed(output.logits, targets) : plain(output.logits, targets)
            task = smoothing ? withNoGrad { plain(output.logits.detached(), targets) } : objective
        }
        var total = output.taskWeight == 1 ? objective : objective * output.taskWeight
        for aux in output.auxiliaryLosses { total = total + aux.value * aux.weight }
        return ObjectiveLoss(task: task, total: total, auxiliaryLosses: output.auxiliaryLosses, metrics: output.metrics)
    }
}
