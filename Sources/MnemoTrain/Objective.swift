// Objective.swift — what a training step minimises, as a value the trainer calls. An objective runs the model on a
// batch and returns the loss to log (the task loss) and the loss to back-propagate (the total: the task's training
// form plus the model's weighted auxiliary losses). Evaluation uses the task loss of the same objective.
//
// Objectives now: NextTokenObjective (cross-entropy with the batch's loss mask, StableMax / LogStableMax, label
// smoothing, the model's auxiliary losses). An objective may hold more than the model: a pairwise objective keeps
// a frozen reference model and reads the second sequence from the batch's extras; the loop does not change.
import MnemoData
import MnemoModels
import Torch

/// One forward pass's losses.
public struct ObjectiveLoss {
    /// The loss to log and evaluate (0-d): the plain task loss, without label smoothing or auxiliary terms.
    public var task: Tensor
    /// The loss to back-propagate (0-d): the task's training form, weighted, plus Σ weight · auxiliary.
    public var total: Tensor
    /// The model's auxiliary losses (logged each), and what the objective adds of its own.
    public var auxiliaryLosses: [AuxiliaryLoss]
    /// Scalars to log with the training line (0-d tensors, read at logging steps only).
    public var metrics: [String: Tensor]

    public init(task: Tensor, total: Tensor, auxiliaryLosses: [AuxiliaryLoss] = [], metrics: [String: Tensor] = [:]) {
        self.task = task
        self.total = total
        self.auxiliaryLosses = auxiliaryLosses
        self.metrics = metrics
    }
}

public protocol Objective: AnyObject {
    /// Runs `model` on `batch`. `training`: the loss that is back-propagated uses the objective's training form
    /// (label smoothing, …); the task loss is always the plain one.
    func loss(_ model: any LanguageModel, on batch: Batch, training: Bool) -> ObjectiveLoss
    /// How the model's logits become the probabilities that sampling draws from (softmax, or StableMax for a model
    /// trained with it).
    var probabilities: (Tensor) -> Tensor { get }
}
