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
import MnemoModels
import MnemoReport
import MnemoTrain
import Torch

public struct CortexStudy: Study {
    public struct Arm: StudyArm {
        public var name: String
        public var summary: String
        public var settings: [String]
        /// The learning rate as a multiple of the preset's: 1, or the sweep's factor (its settings then set the rate).
        public var learningRateFactor = 1.0
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

    /// The preset every arm starts from.
    public static let preset = "configs/cortex-cpu.toml"

    public var plan: StudyPlan
    /// The text file every run trains on.
    public var data: String
    public var learningRateSweep = true

    public init(plan: StudyPlan, data: String) {
        self.plan = plan
        self.data = data
    }

    /// A diverged run is a result (its metrics so far are kept).
    public static let keepsStoppedRuns = true

    public func prepare() throws -> [String] { ["data=\(data)"] }

    /// Every arm × seed, then the sweep's arms at each factor of the preset's learning rate (first seed), in folders
    /// ARM-lrFx-seedN.
    public func runs(of arms: [Arm]) throws -> [StudyRun<Arm>] {
        var runs = everyArmBySeed(arms)
        guard learningRateSweep, let seed = plan.seeds.first else { return runs }
        let base = try TrainConfig.load(plan.preset).learningRate
        for name in Self.sweepArms {
            guard let arm = arms.first(where: { $0.name == name }) else { continue }
            for factor in Self.sweepFactors {
                var swept = arm
                swept.learningRateFactor = factor
                swept.settings += ["learning_rate=\(base * factor)", "min_lr=\(base * factor / 10)"]
                runs.append(StudyRun(arm: swept, seed: seed, variant: "lr\(factor.formattedFactor)x"))
            }
        }
        return runs
    }

    /// The stability metrics (from the run's log), the full-pass val loss on the EMA weights where the arm keeps
    /// them, and (at the preset's learning rate) the val loss with each memory knocked out.
    public func record(of run: StudyRun<Arm>, trainer: Trainer) throws -> CortexArmRecord {
        let valLoss = (try? trainer.averaged { try trainer.fullValidationLoss() }) ?? .nan
        var record = CortexArmRecord(
            arm: run.arm.name, summary: run.arm.summary, seed: run.seed, learningRateFactor: run.arm.learningRateFactor,
            runDirectory: trainer.runDirectory, parameters: trainer.model.parameterCount(nonEmbedding: true), valLossFull: valLoss,
            metrics: try MetricsLog(contentsOf: "\(trainer.runDirectory)/metrics.jsonl"),
            tokensPerStep: trainer.config.tokensPerIteration ?? 0)
        if let gpt = trainer.model as? GPT, gpt.config.cortex.isEnabled, run.arm.learningRateFactor == 1 {
            // what each memory contributes: the same weights with it knocked out (it retrieves zeros)
            func without(shortTerm: Bool, longTerm: Bool) -> Double {
                (try? trainer.averaged { try gpt.withoutMemories(shortTerm: shortTerm, longTerm: longTerm) { try trainer.fullValidationLoss() } }) ?? .nan
            }
            record.valWithoutShortTerm = without(shortTerm: true, longTerm: false)
            record.valWithoutLongTerm = without(shortTerm: false, longTerm: true)
        }
        return record
    }

    public func writeReport(_ records: [CortexArmRecord]) throws { try CortexReport.write(records, to: plan.output) }
}
