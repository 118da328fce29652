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
import MnemoTrain
import MnemoData
import MnemoModels
import MnemoReport
import MnemoSupport
import Torch
import TorchNN

public struct LoopedStudy {
    public struct Arm: Sendable {
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

    public var preset: String
    public var data: String
    public var output: String
    public var seeds: [Int]
    /// Overrides for every arm (e.g. max_iters for a short run).
    public var overrides: [String] = []
    public var armNames: [String] = arms.map(\.name)
    /// Also time the all-layer loss at vocabularies 65 and 50,304 (≈ 1 min; off in tests).
    public var measureAllLayerCost = true
    public var log: (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }

    public init(preset: String, data: String, output: String, seeds: [Int]) {
        self.preset = preset
        self.data = data
        self.output = output
        self.seeds = seeds
    }

    /// Trains every arm with every seed (a run folder each under `output`), evaluates, measures the all-layer
    /// loss's cost at a large vocabulary, and writes the report (report.html, results.md).
    @discardableResult
    public func run() throws -> [LoopedArmResult] {
        let chosen = try StudyRuns.choose(armNames, from: Self.arms, name: \.name)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var results: [LoopedArmResult] = []
        for seed in seeds {
            for arm in chosen {
                let folder = "\(output)/\(arm.name)-seed\(seed)"
                let config = try StudyRuns.config(preset: preset, settings: ["data=\(data)", "seed=\(seed)"] + arm.settings + overrides)
                let started = Date()
                let trainer = try StudyRuns.trainer(config: config, folder: folder).trainer
                log("\(arm.name) seed \(seed): training \(config.maxIters) steps → \(folder)")
                try trainer.run()
                var result = try LoopedArmResult(arm: arm, seed: seed, trainer: trainer)
                if trainer.config.gpt.earlyExit != "none", let gpt = trainer.model as? GPT {
                    result.exitRows = Self.exitEvaluation(gpt, trainer: trainer)
                }
                result.studySeconds = Date().timeIntervalSince(started)
                log("  " + result.line)
                results.append(result)
            }
        }
        let cost = measureAllLayerCost ? Self.allLayerCost(log: log) : []
        try LoopedReport.write(results.map(\.record), allLayerCost: cost, to: output)
        log("wrote \(output)/report.html and \(output)/results.md")
        return results
    }

    // MARK: evaluation of early exit

    /// The trained exit model read four ways over all of val: at the last layer only, with its own (confidence)
    /// rule, and with thresholds 0.9 and 0.5. Loss, top-1 accuracy and the mean layers a token needs.
    static func exitEvaluation(_ gpt: GPT, trainer: Trainer) -> [ExitEvaluation] {
        let weights = gpt.stateDict()
        var rows: [ExitEvaluation] = []
        for (rule, threshold) in [("last layer", 0.0), ("confidence", 0.0), ("threshold 0.9", 0.9), ("threshold 0.5", 0.5)] {
            var config = gpt.config
            config.earlyExit = rule == "last layer" ? "none" : (rule == "confidence" ? "confidence" : "threshold")
            if threshold > 0 { config.exitThreshold = threshold }
            let model = GPT(config)
            try? model.load(stateDict: weights)
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
            all.layerLoss = "all"
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

/// One arm × seed after training: its report record (MnemoReport's plain data) and the arm that made it.
public struct LoopedArmResult {
    public var arm: LoopedStudy.Arm
    public var record: LoopedArmRecord
    public var studySeconds = 0.0

    init(arm: LoopedStudy.Arm, seed: Int, trainer: Trainer) throws {
        self.arm = arm
        record = LoopedArmRecord(
            arm: arm.name, summary: arm.summary, seed: seed, runDirectory: trainer.runDirectory, steps: trainer.config.maxIters,
            parameters: trainer.model.parameterCount(nonEmbedding: true), valLossFull: try trainer.fullValidationLoss(),
            metrics: try MetricsLog(contentsOf: "\(trainer.runDirectory)/metrics.jsonl"),
            tokensPerStep: trainer.config.batchSize * trainer.config.blockSize * trainer.config.gradientAccumulationSteps)
    }

    public var seed: Int { record.seed }
    public var runDirectory: String { record.runDirectory }
    public var valLossFull: Double { record.valLossFull }
    public var exitRows: [ExitEvaluation] {
        get { record.exitRows }
        set { record.exitRows = newValue }
    }

    var line: String {
        String(format: "val %.4f (full pass), %.0f tok/s, residual at the last layer %.3g", valLossFull,
               record.tokensPerSecond ?? .nan, record.lastProfile("resid_out").first ?? .nan)
    }
}
