// LoopedStudy.swift — `mnemo study looped`: the looped-GPT fork's findings (Vervious/gpt; shared/research/
// gpt-anchors.md §1) reproduced at CPU scale, each arm an ordinary run of the trainer from configs/looped-cpu.toml.
//
// Arms (each with every seed):
//   plain          12 layers with their own weights (nanoGPT)
//   shared         one block for all 12 layers, the final norm its ln_1 (the fork's model)
//   shared_all     shared + the loss at every layer, summed (fork: slower and worse)
//   double_attn    shared + residual res·attn2(x) + attn(x) (fork: the residual explodes)
//   shared_exit    shared + per-token confidence exit (fork: "relatively pointless")
// After training: the full-pass val loss; for shared_exit, what exiting saves at evaluation (mean layers per token)
// against the loss and accuracy, with the trained rule and with thresholds, beside the same weights read at the last
// layer; and the cost of the all-layer loss at GPT-2's vocabulary (50,304), where the fork measured it, since the
// character vocabulary (65) makes the extra heads cheap.
import Foundation
import MnemoData
import MnemoModels
import MnemoReport
import MnemoSupport
import MnemoTrain
import Torch
import TorchNN

public struct LoopedStudy: Study {
    public struct Arm: StudyArm {
        public var name: String
        public var summary: String
        /// `--set` overrides on the preset.
        public var settings: [String]
    }

    static let shared = ["share_block=true", "share_final_norm=true"]
    public static let arms: [Arm] = [
        Arm(name: "plain", summary: "12 layers, each with its own weights (nanoGPT)", settings: []),
        Arm(name: "shared", summary: "one block for all 12 layers; the final norm is its ln_1", settings: shared),
        Arm(name: "shared_all", summary: "shared + cross-entropy at every layer, summed", settings: shared + ["layer_loss=all"]),
        Arm(name: "double_attn", summary: "shared, residual x·attn2(ln x) + attn(ln x)", settings: shared + ["residual=double_attn"]),
        Arm(name: "shared_exit", summary: "shared + per-token confidence exit (exit with probability p′max)",
            settings: shared + ["early_exit=confidence"]),
    ]
    /// The preset every arm starts from.
    public static let preset = "configs/looped-cpu.toml"

    public var plan: StudyPlan
    /// The text file every run trains on.
    public var data: String
    /// Also time the all-layer loss at vocabularies 65 and 50,304 (≈ 1 min; off in tests).
    public var measureAllLayerCost = true

    public init(plan: StudyPlan, data: String) {
        self.plan = plan
        self.data = data
    }

    public func prepare() throws -> [String] { ["data=\(data)"] }

    /// The full-pass val loss and, for an early-exit arm, what exiting saves at evaluation.
    public func record(of run: StudyRun<Arm>, trainer: Trainer) throws -> LoopedArmRecord {
        var record = LoopedArmRecord(
            arm: run.arm.name, summary: run.arm.summary, seed: run.seed, runDirectory: trainer.runDirectory,
            steps: trainer.config.maxIters, parameters: trainer.model.parameterCount(nonEmbedding: true),
            valLossFull: try trainer.fullValidationLoss(), metrics: try MetricsLog(contentsOf: "\(trainer.runDirectory)/metrics.jsonl"),
            tokensPerStep: trainer.config.tokensPerIteration ?? 0)
        if trainer.config.gpt.earlyExit != .none, let gpt = trainer.model as? GPT {
            record.exitRows = try Self.exitEvaluation(gpt, trainer: trainer)
        }
        return record
    }

    /// Measures the all-layer loss's cost at a large vocabulary, then writes report.html and results.md.
    public func writeReport(_ records: [LoopedArmRecord]) throws {
        let cost = measureAllLayerCost ? Self.allLayerCost(log: plan.log) : []
        try LoopedReport.write(records, allLayerCost: cost, to: plan.output)
    }

    // MARK: evaluation of early exit

    /// The trained exit model read four ways over all of val: at the last layer only, with its own (confidence)
    /// rule, and with thresholds 0.9 and 0.5. Loss, top-1 accuracy and the mean layers a token needs.
    static func exitEvaluation(_ gpt: GPT, trainer: Trainer) throws -> [ExitEvaluation] {
        let weights = gpt.stateDict()
        var rows: [ExitEvaluation] = []
        for (rule, threshold) in [("last layer", 0.0), ("confidence", 0.0), ("threshold 0.9", 0.9), ("threshold 0.5", 0.5)] {
            var config = gpt.config
            config.earlyExit = rule == "last layer" ? .none : (rule == "confidence" ? .confidence : .threshold)
            if threshold > 0 { config.exitThreshold = threshold }
            let model = GPT(config)
            try model.load(stateDict: weights)
            model.to(trainer.device)
            model.eval()
            Random.seed(1)
            var depth = 0.0, correct = 0.0, counted = 0.0
            let loss = trainer.data.val.fullPassLoss(batchSize: trainer.config.batchSize, device: trainer.device) { batch in
                let (x, y) = (batch.inputs, batch.targets)
                let output = model.forward(x, targets: y)
                let n = Double(x.count)
                depth += (output.metrics["exit_mean_depth"]?.item() ?? Double(config.nLayer)) * n
                correct += (output.logits.argmax(dim: -1) .== y).float().sum().item()
                counted += n
                return crossEntropy(output.logits.view(-1, output.logits.size(-1)), y.view(-1), ignoreIndex: -1)
            }
            rows.append(ExitEvaluation(rule: rule, valLoss: loss, accuracy: correct / Swift.max(counted, 1),
                                       meanDepth: depth / Swift.max(counted, 1), layers: config.nLayer))
        }
        return rows
    }

    // MARK: the all-layer loss at GPT-2's vocabulary

    /// ms per forward + backward of the shared model with the last-layer loss and with the all-layer loss, at
    /// vocabulary 50,304 (GPT-2's, padded) and 65 (characters), on an (8, 64) batch; alternated, medians of 3.
    static func allLayerCost(log: (String) -> Void) -> [AllLayerCost] {
        var out: [AllLayerCost] = []
        for vocabulary in [65, 50_304] {
            var base = GPTConfig(blockSize: 64, vocabSize: vocabulary, nLayer: 12, nHead: 4, nEmbd: 64, bias: false)
            base.shareBlock = true
            base.shareFinalNorm = true
            var all = base
            all.layerLoss = .all
            Random.seed(7)
            let models = [GPT(base), GPT(all)]
            let x = Tensor.randint(0, vocabulary, [8, 64]), y = Tensor.randint(0, vocabulary, [8, 64])
            func timed(_ model: GPT) -> Double {
                let start = Date()
                for _ in 0..<3 {
                    let output = model.forward(x, targets: y)
                    var loss = crossEntropy(output.logits.view(-1, vocabulary), y.view(-1)) * output.taskWeight
                    for aux in output.auxiliaryLosses { loss = loss + aux.value * aux.weight }
                    loss.backward()
                    model.zeroGrad()
                }
                return Date().timeIntervalSince(start) / 3 * 1000
            }
            _ = models.map(timed)                                                   // warm-up
            var last: [Double] = [], every: [Double] = []
            for _ in 0..<3 { last.append(timed(models[0])); every.append(timed(models[1])) }
            let cost = AllLayerCost(vocabulary: vocabulary, lastLayerMilliseconds: LoopedReport.median(last) ?? .nan,
                                    allLayersMilliseconds: LoopedReport.median(every) ?? .nan)
            log(String(format: "all-layer loss at vocabulary %d: %.1f ms vs %.1f ms per step (×%.2f)", vocabulary,
                       cost.allLayersMilliseconds, cost.lastLayerMilliseconds, cost.slowdown))
            out.append(cost)
        }
        return out
    }
}
