// GrokMetricsHook.swift — the grokking study's figures as a hook of its runs. At every evaluation, on the whole train
// set and the whole test set (full batches, the same parameters the step trains): train_acc and test_acc (argmax =
// answer), the softmax-collapse figures of the *train* logits in float32 whatever the loss (sc_fraction,
// zero_loss_fraction under the run's loss kind, median_margin; they replace the run's default ones, which watch a val
// batch), and weight_norm (all parameters). On every logged step: update_cos, the cosine between the output layer's
// update and its weights before it. A progress line about every tenth of the run.
import Foundation
import MnemoData
import MnemoModels
import MnemoTrain
import Torch
import TorchNN

public final class GrokMetricsHook: TrainingHook {
    public let name = "grok_metrics"
    let train: any BatchSource
    let test: any BatchSource
    let lossKind: LossKind
    let reportEvery: Int
    let arm: String
    let start: Date
    let say: (String) -> Void
    var before: Tensor?

    public init(data: TokenData, lossKind: LossKind, reportEvery: Int, name arm: String, start: Date,
                say: @escaping (String) -> Void) {
        train = data.train
        test = data.val
        self.lossKind = lossKind
        self.reportEvery = reportEvery
        self.arm = arm
        self.start = start
        self.say = say
    }

    public func atEvaluation(_ context: StepContext) -> [String: Double] {
        let model = context.model
        let trainBatch = train.randomBatch(size: 1, generator: Generator(seed: 0), device: context.device)
        let testBatch = test.randomBatch(size: 1, generator: Generator(seed: 0), device: context.device)
        let values: [String: Double] = withNoGrad {
            let logits = model.forward(trainBatch.inputs, targets: nil).logits.squeeze(1).float()    // (N, p)
            let labels = trainBatch.targets.reshape([-1])
            let perSample = TorchNN.lossFunction(lossKind, reduction: .none)(logits, labels)
            let stats = SoftmaxCollapse.stats(logits: logits, targets: labels, perSampleLosses: perSample)
            let testLogits = model.forward(testBatch.inputs, targets: nil).logits.squeeze(1)
            return ["train_acc": Self.accuracy(logits, labels),
                    "test_acc": Self.accuracy(testLogits, testBatch.targets.reshape([-1])),
                    "sc_fraction": stats.collapsedFraction, "zero_loss_fraction": stats.zeroLossFraction ?? .nan,
                    "median_margin": stats.medianMargin, "weight_norm": SoftmaxCollapse.weightNorm(model.parameters())]
        }
        let step = context.step
        if step % reportEvery == 0 {
            say(String(format: "%@ step %5d  train %5.1f%%  test %5.1f%%  SC %5.1f%%  margin %6.2f  |θ| %.1f  %.0f s",
                       arm, step, values["train_acc"]! * 100, values["test_acc"]! * 100, values["sc_fraction"]! * 100,
                       values["median_margin"]!, values["weight_norm"]!, Date().timeIntervalSince(start)))
        }
        return values
    }

    public func afterBackward(_ context: StepContext) {
        before = context.logsThisStep ? context.model.outputWeight.map { $0.detached().clone() } : nil
    }

    public func afterOptimizerStep(_ context: StepContext) {
        guard let before, let after = context.model.outputWeight else { return }
        context.metrics.record("update_cos", SoftmaxCollapse.updateCosine(before: before, after: after))
        self.before = nil
    }

    /// Fraction of rows whose largest logit is the label (exactly 1 when every row is right).
    static func accuracy(_ logits: Tensor, _ labels: Tensor) -> Double {
        let correct = (logits.argmax(dim: 1) .== labels).sum(dtype: .int64).itemInt()
        return Double(correct) / Double(labels.count)
    }
}
