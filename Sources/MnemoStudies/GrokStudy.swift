// GrokStudy.swift — the grokking study of "Grokking at the Edge of Numerical Stability" (Prieto et al., ICLR 2025)
// as named suites of arms: model × loss × optimizer (⊥ or not) × weight decay × lr × β2 × train fraction × steps on
// (a ∘ b) mod p, full-batch.
//
// Each arm is an ordinary run of the Trainer (GrokTrainer.config: data = "modular:add:113", model = "grok_mlp" or
// "grok_transformer", full-batch steps, the arm's optimizer, no clipping) and writes a run folder that `mnemo report`
// and `mnemo train --resume` read like any other:
//   config.json    the run's settings;  arm.json  the arm as the study describes it, plus "study": "grok"
//   metrics.jsonl  at every evaluation step: val_loss (the loss on the *test* split), train_loss_est, and
//                  GrokMetricsHook's train_acc, test_acc, sc_fraction, zero_loss_fraction, median_margin, weight_norm;
//                  on the training line of the same step: train_loss, update_cos, lr, elapsed_s
//   log.txt        the progress lines
// A line logged at step t describes the parameters after t updates; update_cos is the cosine between the output
// layer's update of step t and its weights before it (none after the last step). SC metrics (softmax collapse) are
// measured on the train logits in float32 (the model's precision) whatever the loss; see SoftmaxCollapse.swift.
//
// The loop is one thread; parallel arms run as separate processes (see `mnemo grok`).
import Foundation
import MnemoData
import MnemoTrain
import Torch
import TorchNN
import TorchOptim
import MnemoModels
import MnemoReport
import MnemoSupport

public enum GrokModelKind: String, Codable, Sendable { case mlp, transformer }
public enum GrokOptimizerKind: String, Codable, Sendable { case adamw, sgd }

/// One arm of the study.
public struct GrokArm: Codable, Sendable {
    /// Unique within its suite; the run folder's name.
    public var name: String
    /// The experiment it belongs to (B1, B2, B3, T1): arms of a group share the report's charts.
    public var group: String
    /// What the arm shows, in a few words.
    public var summary: String
    /// What the paper and its reference implementation report for it, shown beside the result; "" if nothing.
    public var expectation: String = ""

    public var model: GrokModelKind = .mlp
    public var loss: LossKind = .softmax
    public var optimizer: GrokOptimizerKind = .adamw
    /// ⊥Grad on every parameter whose name contains none of `orthogonalSkip`.
    public var orthogonal = false
    public var orthogonalSkip: [String] = []
    public var lr = 0.01
    public var weightDecay = 0.0
    public var beta1 = 0.9
    public var beta2 = 0.99
    /// AdamW's ε: the paper's 1e-25 keeps Adam's step from being limited by ε once gradients get small.
    public var eps = 1e-25
    /// SGD momentum (SGD arms only).
    public var momentum = 0.0

    public var operation: ModularOperation = .add
    public var modulus = 113
    public var trainFraction = 0.4
    public var steps = 400
    /// Evaluate every this many steps (and at the last step); 0: only at the first and the last.
    public var evalEvery = 10
    /// The model's initial weights (the same for every arm of a suite, as in the paper's code: one seed).
    public var seed: UInt64 = 42
    /// The train/test split.
    public var splitSeed: UInt64 = 0

    public init(name: String, group: String, summary: String) {
        self.name = name
        self.group = group
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case name, group, summary, expectation, model, loss, optimizer, orthogonal, lr, eps, momentum, operation,
             modulus, steps, seed
        case orthogonalSkip = "orthogonal_skip", weightDecay = "weight_decay", beta1, beta2
        case trainFraction = "train_fraction", evalEvery = "eval_every", splitSeed = "split_seed"
    }

    /// Relative cost of the arm (to start the longest first when arms run in parallel).
    public var cost: Double {
        Double(steps) * trainFraction * (model == .transformer ? 2 : 1) * (loss == .stablemax ? 1.1 : 1)
    }
}

/// The named suites.
public enum GrokSuite: String, CaseIterable, Sendable {
    case demo, full

    public var arms: [GrokArm] {
        switch self {
        case .demo: return GrokSuite.b1 + GrokSuite.b3
        case .full: return GrokSuite.b1 + GrokSuite.b2 + GrokSuite.b3 + GrokSuite.transformer
        }
    }

    /// B1: 40% of add mod 113, MLP, softmax CE in float32, lr 0.01, 400 steps.
    static var b1: [GrokArm] {
        func arm(_ name: String, _ summary: String, _ expectation: String, _ edit: (inout GrokArm) -> Void) -> GrokArm {
            var a = GrokArm(name: name, group: "B1", summary: summary)
            a.expectation = expectation
            a.trainFraction = 0.4
            a.steps = 400
            edit(&a)
            return a
        }
        return [
            arm("b1-adamw-wd0", "MLP, softmax fp32, AdamW, no weight decay: SC, no grokking",
                "< 2% test at 400 steps") { _ in },
            arm("b1-orth-adamw-wd0", "MLP, softmax fp32, ⊥AdamW, no weight decay",
                "≥ 99% test by ~120 steps, 100% by ~200") { $0.orthogonal = true },
            arm("b1-adamw-wd4", "MLP, softmax fp32, AdamW, weight decay 4",
                "≥ 99% test by ~240 steps") { $0.weightDecay = 4 },
        ]
    }

    /// B2: softmax fp32 at 40% for 2,500 steps: SC fraction rising as the median margin passes ~17.
    static var b2: [GrokArm] {
        var a = GrokArm(name: "b2-adamw-wd0-long", group: "B2", summary: "MLP, softmax fp32, AdamW, no weight decay, 2,500 steps: SC rising")
        a.expectation = "SC fraction near 50% around step 1,900 as the median margin passes ~17"
        a.trainFraction = 0.4
        a.steps = 2500
        return [a]
    }

    /// B3: 70% of add mod 113, lr 0.01, 2,500 steps: StableMax CE (β2 0.999) against softmax CE fp32 (β2 0.99).
    static var b3: [GrokArm] {
        var stable = GrokArm(name: "b3-stablemax", group: "B3", summary: "MLP, StableMax CE (float64), AdamW β2 0.999, no weight decay")
        stable.expectation = "≥ 95% test by ~1,600 steps, ~98% at 2,500"
        stable.loss = .stablemax
        stable.beta2 = 0.999
        let softmax = GrokArm(name: "b3-softmax", group: "B3", summary: "MLP, softmax fp32, AdamW β2 0.99, no weight decay")
        return [stable, softmax].map { arm in
            var a = arm
            a.trainFraction = 0.7
            a.steps = 2500
            return a
        }
    }

    /// T1: the one-layer transformer (see GrokTransformer.swift) at 40% of add mod 113, lr 1e-3, 1,500 steps.
    /// Not calibrated against another implementation.
    static var transformer: [GrokArm] {
        func arm(_ name: String, _ summary: String, _ edit: (inout GrokArm) -> Void) -> GrokArm {
            var a = GrokArm(name: name, group: "T1", summary: summary)
            a.model = .transformer
            a.lr = 1e-3
            a.trainFraction = 0.4
            a.steps = 1500
            edit(&a)
            return a
        }
        return [
            arm("t1-adamw-wd0", "transformer, softmax fp32, AdamW, no weight decay") { _ in },
            arm("t1-orth-adamw-wd0", "transformer, softmax fp32, ⊥AdamW, no weight decay") { $0.orthogonal = true },
            arm("t1-stablemax", "transformer, StableMax CE, AdamW β2 0.999, no weight decay") {
                $0.loss = .stablemax
                $0.beta2 = 0.999
            },
            arm("t1-adamw-wd1", "transformer, softmax fp32, AdamW, weight decay 1") { $0.weightDecay = 1 },
        ]
    }
}

/// Trains one arm through the Trainer and writes its run folder.
public enum GrokTrainer {
    /// How long an arm took.
    public struct Timing: Sendable {
        /// The whole arm: set-up, training and evaluations.
        public var wallSeconds: Double
        /// Seconds per optimizer step (forward, loss, backward, step) after the first `warmup` steps, evaluations
        /// left out; nil when the arm has no more than `warmup` steps.
        public var secondsPerStep: Double?
        public static let warmup = 5
    }

    /// The arm as an ordinary run's settings: the task `modular:OP:P` split by its train fraction and split seed,
    /// the model at the paper's shape, the arm's optimizer with a constant learning rate, no clipping, full-batch
    /// steps, an evaluation (and a training line) every `evalEvery` steps, one checkpoint at the end.
    public static func config(_ arm: GrokArm) throws -> TrainConfig {
        var c = TrainConfig()
        c.data = "modular:\(arm.operation.rawValue):\(arm.modulus)"
        c.valFraction = 1 - arm.trainFraction
        c.dataSeed = Int(truncatingIfNeeded: arm.splitSeed)
        c.seed = Int(truncatingIfNeeded: arm.seed)
        c.model = try ModelSpec(arm.model == .mlp ? "grok_mlp" : "grok_transformer")
        c.loss = arm.loss
        c.optimizer = arm.optimizer == .adamw ? .adamw : .sgd
        c.learningRate = arm.lr
        c.decayLR = false
        c.weightDecay = arm.weightDecay
        c.beta1 = arm.beta1
        c.beta2 = arm.beta2
        c.adamEps = arm.eps
        c.momentum = arm.momentum
        c.orthogonal = arm.orthogonal
        c.orthogonalSkip = arm.orthogonalSkip
        c.gradClip = 0
        c.batchSize = 1                         // a FixedBatch is the whole split whatever the size
        c.maxIters = arm.steps
        c.evalInterval = arm.evalEvery > 0 ? arm.evalEvery : arm.steps
        c.logInterval = c.evalInterval
        c.evalIters = 1
        c.checkpointInterval = arm.steps
        c.keepCheckpoints = 1
        c.sampleTokens = 0
        c.stabilityInterval = 0                 // the study evaluates the whole test set at every evaluation anyway
        return c
    }

    /// Runs `arm`, writing `directory` (an earlier run there is replaced): config.json (the run's settings), arm.json
    /// (the arm as the study describes it), metrics.jsonl, log.txt, the final checkpoint. `progress` receives a line
    /// at about every tenth of the run.
    @discardableResult
    public static func run(_ arm: GrokArm, directory: String, progress: @escaping (String) -> Void = { _ in }) throws -> Timing {
        let start = Date()
        try? FileManager.default.removeItem(atPath: directory)
        let trainer = try Trainer(config: config(arm), runDirectory: directory)
        try writeArm(arm, to: "\(directory)/arm.json")
        trainer.progress = false
        trainer.addHook(GrokMetricsHook(data: trainer.data, lossKind: arm.loss, reportEvery: Swift.max(1, arm.steps / 10),
                                        name: arm.name, start: start, say: progress))
        progress("\(arm.name): \(arm.summary); \(trainer.data.train.exampleCount) train / \(trainer.data.val.exampleCount) test pairs of "
                 + "(a \(arm.operation.symbol) b) mod \(arm.modulus), \(trainer.model.parameterCount) parameters, \(arm.steps) steps")
        let timer = StepTimerHook(warmup: Timing.warmup)
        trainer.addHook(timer)      // after the metrics hook: its evaluation is not step time
        try trainer.run()
        return Timing(wallSeconds: Date().timeIntervalSince(start), secondsPerStep: timer.meanSeconds)
    }

    static func writeArm(_ arm: GrokArm, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(ArmFile(arm: arm)), to: path)
    }
}

/// arm.json: the arm's keys and, in the same object, "study": "grok" and "task": "(a + b) mod 113".
private struct ArmFile: Encodable {
    let arm: GrokArm

    enum CodingKeys: String, CodingKey { case study, task }

    func encode(to encoder: any Encoder) throws {
        try arm.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)  // the arm's object again: one level, two key sets
        try container.encode("grok", forKey: .study)
        try container.encode("(a \(arm.operation.symbol) b) mod \(arm.modulus)", forKey: .task)
    }
}

/// What one arm reached, read back from its metrics.jsonl.
public struct GrokArmResult: Sendable {
    public var arm: GrokArm
    public var metrics: MetricsLog

    public init(arm: GrokArm, metrics: MetricsLog) {
        self.arm = arm
        self.metrics = metrics
    }

    /// Loads the run folder of `arm` under `root`.
    public init(arm: GrokArm, root: String) throws {
        try self.init(arm: arm, metrics: MetricsLog(contentsOf: "\(root)/\(arm.name)/metrics.jsonl"))
    }

    /// The arm as plain data, for the study's report (GrokReport.swift).
    public var record: StudyArmRecord {
        StudyArmRecord(name: arm.name, group: arm.group, summary: arm.summary, expectation: arm.expectation,
                       steps: arm.steps, trainFraction: arm.trainFraction, evalEvery: arm.evalEvery, metrics: metrics)
    }

    /// Seconds the arm took (its last elapsed_s).
    public var wallSeconds: Double? { record.wallSeconds }

    /// The first logged step whose test accuracy is at least `threshold` (nil: never within the run).
    public func firstStep(testAccuracy threshold: Double) -> Int? { record.firstStep(testAccuracy: threshold) }

    public func last(_ key: String) -> Double? { metrics.last(key) }

    /// The value of `key` at the logged step nearest to `step`.
    public func value(_ key: String, near step: Int) -> Double? { record.value(key, near: step) }

    /// Optimizer steps per second over the whole arm, evaluations included.
    public var stepsPerSecond: Double? { record.stepsPerSecond }
}
