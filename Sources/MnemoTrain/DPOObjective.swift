// DPOObjective.swift — Direct Preference Optimization (Rafailov et al. 2023), trl's sigmoid loss, on PreferencePairs'
// batches (B chosen rows, then B rejected rows; targets -1 outside the responses):
//
//   log π(y|x)  = Σ over response tokens of log p(token)      (the run's loss kind: softmax, or StableMax)
//   z           = β · [(log π(y_c|x) − log π_ref(y_c|x)) − (log π(y_r|x) − log π_ref(y_r|x))]
//   loss        = −mean log σ(z)
//
// The reference π_ref is frozen: the weights the run started from (for a LoRA run, the base with its zero-initialised
// adapter, i.e. the base). Logged as trl names them: rewards/chosen = β(log π − log π_ref) of the chosen responses,
// rewards/rejected, rewards/accuracies (chosen reward above rejected), rewards/margins.
import MnemoData
import MnemoModels
import Torch
import TorchNN

public final class DPOObjective: Objective {
    public let reference: any LanguageModel
    public let beta: Double
    let perToken: (Tensor, Tensor) -> Tensor
    let lossKind: LossKind

    /// `reference` is frozen here (no gradients, eval mode).
    public init(reference: any LanguageModel, beta: Double, lossKind: LossKind = .softmax) {
        self.reference = reference
        self.beta = beta
        self.lossKind = lossKind
        perToken = TorchNN.lossFunction(lossKind, ignoreIndex: -1, reduction: .none)
        for p in reference.parameters() { p.requiresGrad = false }
        reference.eval()
    }

    public var probabilities: (Tensor) -> Tensor { TorchNN.probabilities(lossKind) }

    /// Σ log p of each row's targets (the -1 ones contribute 0): (rows).
    func sequenceLogProbabilities(_ logits: Tensor, _ targets: Tensor) -> Tensor {
        let aligned = NextTokenObjective.aligned(targets, to: logits)
        return -perToken(logits, aligned).reshape([aligned.size(0), -1]).sum(dims: [1])
    }

    public func loss(_ model: any LanguageModel, on batch: Batch, training: Bool) -> ObjectiveLoss {
        let output = model.forward(batch.inputs, targets: batch.targets)
        let policy = sequenceLogProbabilities(output.logits, batch.targets).double()                 // (2B)
        let ref = withNoGrad { sequenceLogProbabilities(reference.forward(batch.inputs, targets: nil).logits, batch.targets) }
            .double()
        let pairs = policy.size(0) / 2
        let chosen = (policy.narrow(dim: 0, start: 0, length: pairs) - ref.narrow(dim: 0, start: 0, length: pairs)) * beta
        let rejected = (policy.narrow(dim: 0, start: pairs, length: pairs) - ref.narrow(dim: 0, start: pairs, length: pairs)) * beta
        let loss = (-(chosen - rejected)).softplus().mean()                    // −log σ(z) = softplus(−z), stably
        var total = loss.float()
        for aux in output.auxiliaryLosses { total = total + aux.value * aux.weight }
        let c = chosen.detached(), r = rejected.detached()
        let metrics = ["rewards/chosen": c.mean(), "rewards/rejected": r.mean(),
                       "rewards/accuracies": (c .> r).double().mean(), "rewards/margins": (c - r).mean()]
        return ObjectiveLoss(task: loss.detached().float(), total: total, auxiliaryLosses: output.auxiliaryLosses,
                             metrics: metrics.merging(output.metrics) { a, _ in a })
    }
}
