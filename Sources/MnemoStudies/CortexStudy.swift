// CortexStudy.swift — `mnemo study cortex`: the CortexGPT stability document's claim ("4–5× loss oscillations
// reduced to < 1.2×"; shared/research/cortexgpt.md §5, §10.4) measured, each arm an ordinary run of the trainer from
// configs/cortex-cpu.toml (4 layers × 64, one memory layer after block 1, character-level tinyshakespeare).
//
// Arms (each with every seed):
//   A        legacy-like: softmax gate, hard top-k (5 % of features), random consolidation, no norms, plain CE, one
//            optimizer group, weight decay 0.1
//   B        upstream's unified model (faithful, non-causal): one STM shared by the batch, Gumbel softmax over the
//            batch's tokens (hard top-k 5 % at evaluation), out = x + 0.1·mix with detached memories, random
//            consolidation, memory parameters at lr × 0.1 (its trainer's groups)
//   C        the document's full toolkit (the preset)
//   D        a plain transformer of about C's size (n_embd 68, no memory layer), C's trainer
//   C-gate, C-sparsity, C-consolidation, C-norm, C-loss, C-groups, C-ema, C-bounded: C with one fix removed
// Then, since the question is also where oscillation starts: A and C at 3×, 10×, 30× and 100× the learning rate (first seed).
// Each run logs the stability metrics (StabilityTracker); the study adds the full-pass val loss (on the EMA weights
// where the arm keeps them) and writes results.md and report.html (CortexReport).
import Foundation
import MnemoTrain
import MnemoModels
import MnemoReport
import Torch

public struct CortexStudy {
    public struct Arm: Sendable {
        public var name: String
        public var summary: String
        public var settings: [String]
    }

    static let plainTrainer = ["label_smoothing=0", "ema_decay=0", "weight_decay=0.1", "param_groups=",
                               "cortex_gate_smoothness_weight=0", "cortex_gate_entropy_weight=0", "cortex_sparsity_weight=0"]
    public static let arms: [Arm] = [
        Arm(name: "A", summary: "legacy-like: softmax gate, hard top-k 5 %, random consolidation, no norms, plain CE",
            settings: plainTrainer + ["cortex_gate=softmax", "cortex_memory_norm=false", "cortex_sparsity=hard",
                                      "cortex_sparsity_target=0.05", "cortex_consolidation=random"]),
        Arm(name: "B", summary: "upstream unified (non-causal): shared STM, token-axis Gumbel softmax, x + 0.1·mix, detached memories",
            settings: plainTrainer.filter { !$0.hasPrefix("param_groups") }
                + ["param_groups=cortex:lr=0.1", "cortex_faithful=true", "cortex_gate=softmax", "cortex_memory_norm=false",
                   "cortex_sparsity_target=0.05", "cortex_residual_weight=0.1", "cortex_stop_gradient=true"]),
        Arm(name: "C", summary: "the document's full toolkit", settings: []),
        Arm(name: "D", summary: "plain transformer of about C's size (n_embd 68), C's trainer",
            settings: ["cortex_layers=", "n_embd=68", "param_groups="]),
        Arm(name: "C-gate", summary: "C with the legacy softmax gate", settings: ["cortex_gate=softmax"]),
        Arm(name: "C-sparsity", summary: "C without the sparse activation", settings: ["cortex_sparsity=none"]),
        Arm(name: "C-consolidation", summary: "C with random instead of gradual consolidation", settings: ["cortex_consolidation=random"]),
        Arm(name: "C-norm", summary: "C without memory/output LayerNorm and scales", settings: ["cortex_memory_norm=false"]),
        Arm(name: "C-loss", summary: "C with plain CE and no regularisers",
            settings: ["label_smoothing=0", "cortex_gate_smoothness_weight=0", "cortex_gate_entropy_weight=0", "cortex_sparsity_weight=0"]),
        Arm(name: "C-groups", summary: "C with one optimizer group (memory at full lr, clipped with the rest)", settings: ["param_groups="]),
        Arm(name: "C-ema", summary: "C without parameter EMA", settings: ["ema_decay=0"]),
        Arm(name: "C-bounded", summary: "C with a growing LTM instead of a bounded ring", settings: ["cortex_ltm_bounded=false"]),
    ]
    /// Learning-rate multipliers of the sweep, and the arms it runs.
    public static let sweepFactors: [Double] = [3, 10, 30, 100]
    public static let sweepArms = ["A", "C"]

    public var preset: String
    public var data: String
    public var output: String
    public var seeds: [Int]
    public var overrides: [String] = []
    public var armNames: [String] = arms.map(\.name)
    public var learningRateSweep = true
    public var log: (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }

    public init(preset: String, data: String, output: String, seeds: [Int]) {
        self.preset = preset
        self.data = data
        self.output = output
        self.seeds = seeds
    }

    /// Trains every arm × seed (then the learning-rate sweep), evaluates, writes report.html and results.md.
    @discardableResult
    public func run() throws -> [CortexArmRecord] {
        let chosen = try StudyRuns.choose(armNames, from: Self.arms, name: \.name)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let base = try TrainConfig.load(preset)
        var records: [CortexArmRecord] = []
        for seed in seeds {
            for arm in chosen {
                records.append(try train(arm, seed: seed, folder: "\(output)/\(arm.name)-seed\(seed)", extra: [], factor: 1))
            }
        }
        if learningRateSweep, let seed = seeds.first {
            for name in Self.sweepArms {
                guard let arm = chosen.first(where: { $0.name == name }) else { continue }
                for factor in Self.sweepFactors {
                    let lr = base.learningRate * factor
                    records.append(try train(arm, seed: seed, folder: "\(output)/\(arm.name)-lr\(factor.formattedFactor)x-seed\(seed)",
                                             extra: ["learning_rate=\(lr)", "min_lr=\(lr / 10)"], factor: factor))
                }
            }
        }
        try CortexReport.write(records, to: output)
        log("wrote \(output)/report.html and \(output)/results.md")
        return records
    }

    func train(_ arm: Arm, seed: Int, folder: String, extra: [String], factor: Double) throws -> CortexArmRecord {
        let config = try StudyRuns.config(preset: preset, settings: ["data=\(data)", "seed=\(seed)"] + arm.settings + extra + overrides)
        let trainer = try StudyRuns.trainer(config: config, folder: folder).trainer
        log("\(arm.name)\(factor == 1 ? "" : " lr ×\(factor.formattedFactor)") seed \(seed): training \(config.maxIters) steps → \(folder)")
        do { try trainer.run() } catch {
            log("  stopped: \(error)")   // a diverged run is a result (its metrics so far are kept)
        }
        let valLoss = (try? trainer.averaged { try trainer.fullValidationLoss() }) ?? .nan
        var record = CortexArmRecord(
            arm: arm.name, summary: arm.summary, seed: seed, learningRateFactor: factor, runDirectory: folder,
            parameters: trainer.model.parameterCount(nonEmbedding: true), valLossFull: valLoss,
            metrics: try MetricsLog(contentsOf: "\(folder)/metrics.jsonl"), tokensPerStep: config.tokensPerIteration ?? 0)
        if let gpt = trainer.model as? GPT, gpt.config.cortex.isEnabled, factor == 1 {
            // what each memory contributes: the same weights with it knocked out (it retrieves zeros)
            func without(shortTerm: Bool, longTerm: Bool) -> Double {
                (try? trainer.averaged { try gpt.withoutMemories(shortTerm: shortTerm, longTerm: longTerm) { try trainer.fullValidationLoss() } }) ?? .nan
            }
            record.valWithoutShortTerm = without(shortTerm: true, longTerm: false)
            record.valWithoutLongTerm = without(shortTerm: false, longTerm: true)
        }
        log("  " + record.line)
        return record
    }
}
