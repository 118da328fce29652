// Study.swift — what the studies of trainer runs share (LoopedStudy, MemoryStudy, CortexStudy, CortexRecallStudy,
// InstructStudy): arms × seeds, each an ordinary run of the trainer in its own folder OUT/ARM-seedN, configured as the
// preset, then the settings every run of the study shares (its data), the seed, the arm's settings and the plan's
// overrides. A killed study continues: a run with a checkpoint resumes from its latest one (a finished run is only
// evaluated again; one stopped before its first checkpoint starts again). Then the study's results.md and report.html.
// A study file gives its arms, what its runs share, what it measures after a run and its report; `run()` here does the
// rest. The grokking study (GrokStudy.swift, `mnemo grok`) keeps its own suite runner: named suites of arms run as
// child processes, one seed.
import Foundation
import MnemoSupport
import MnemoTrain

/// One arm of a study: a name (its run folders' prefix), what it tests, and its settings on the preset.
public protocol StudyArm: Sendable {
    var name: String { get }
    var summary: String { get }
    /// key=value settings on the preset, applied before the plan's overrides.
    var settings: [String] { get }
}

/// What one run of a study gives its report, with a line for the log.
public protocol StudyRunRecord {
    var line: String { get }
}

/// What to run and where: the same for every study (the `mnemo study` commands' shared options).
public struct StudyPlan {
    public var preset: String
    public var output: String
    /// One run of every arm per seed: the trainer's `seed`, and the N of its folder ARM-seedN.
    public var seeds: [Int]
    /// The arms to run, by name, in this order; nil: every arm.
    public var armNames: [String]?
    /// key=value settings for every run, after the arm's (e.g. max_iters=300 for a short study).
    public var overrides: [String] = []
    public var log: (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }

    public init(preset: String, output: String, seeds: [Int], armNames: [String]? = nil, overrides: [String] = []) {
        self.preset = preset
        self.output = output
        self.seeds = seeds
        self.armNames = armNames
        self.overrides = overrides
    }

    /// The first `count` seeds of every study: 1337, 1338, … (seed n is 1336 + n).
    public static func seeds(count: Int) -> [Int] { (0..<Swift.max(count, 0)).map { 1337 + $0 } }
}

/// One run of a study: an arm with a seed, in the folder OUT/ARM-seedN (OUT/ARM-VARIANT-seedN for a variant).
public struct StudyRun<Arm: StudyArm> {
    public var arm: Arm
    public var seed: Int
    /// A variant of the arm beside its main runs (the cortex study's learning-rate sweep: "lr3x"); nil for the arm.
    public var variant: String?

    public init(arm: Arm, seed: Int, variant: String? = nil) {
        self.arm = arm
        self.seed = seed
        self.variant = variant
    }

    /// The run folder's name.
    public var name: String { ([arm.name] + (variant.map { [$0] } ?? []) + ["seed\(seed)"]).joined(separator: "-") }
}

/// A suite of trainer runs with a report of its own. A study gives the parts below; `run()` trains and reports.
public protocol Study {
    associatedtype Arm: StudyArm
    associatedtype Record: StudyRunRecord

    /// Every arm, in the report's order.
    static var arms: [Arm] { get }
    /// The preset its arms start from (configs/…).
    static var preset: String { get }
    var plan: StudyPlan { get }
    /// Writes what every run shares (a generated corpus, …) and returns the settings every run gets before its
    /// arm's (the data). Called once, before the first run. Default: nothing.
    func prepare() throws -> [String]
    /// The runs of the chosen arms. Default: every arm with every seed, seed by seed.
    func runs(of arms: [Arm]) throws -> [StudyRun<Arm>]
    /// A last change to a new run's config, after every setting. Default: none.
    func configure(_ config: inout TrainConfig, for run: StudyRun<Arm>) throws
    /// Work on a new run's model before its first step (saved with its checkpoints); not called when a run resumes.
    /// Default: none.
    func start(_ trainer: Trainer, for run: StudyRun<Arm>) throws
    /// What a trained run gives the report (measured on its trainer).
    func record(of run: StudyRun<Arm>, trainer: Trainer) throws -> Record
    /// Writes results.md and report.html into plan.output.
    func writeReport(_ records: [Record]) throws
    /// Whether a run that stops with an error (a diverged run) is a result — its metrics so far are kept — rather
    /// than the end of the study. Default: false.
    static var keepsStoppedRuns: Bool { get }
}

extension Study {
    public func prepare() throws -> [String] { [] }
    public func runs(of arms: [Arm]) throws -> [StudyRun<Arm>] { everyArmBySeed(arms) }
    public func configure(_ config: inout TrainConfig, for run: StudyRun<Arm>) throws {}
    public func start(_ trainer: Trainer, for run: StudyRun<Arm>) throws {}
    public static var keepsStoppedRuns: Bool { false }

    /// Every arm with every seed of the plan, seed by seed.
    public func everyArmBySeed(_ arms: [Arm]) -> [StudyRun<Arm>] {
        plan.seeds.flatMap { seed in arms.map { StudyRun(arm: $0, seed: seed) } }
    }

    /// The arms the plan names, in its order (every arm when it names none); an unknown name lists the arms.
    public func chosenArms() throws -> [Arm] {
        guard let names = plan.armNames else { return Self.arms }
        return try names.map { wanted in
            guard let arm = Self.arms.first(where: { $0.name == wanted }) else {
                throw ConfigError("unknown arm \"\(wanted)\"; the arms are \(Self.arms.map(\.name).joined(separator: ", "))")
            }
            return arm
        }
    }

    /// Trains every run (continuing a killed study's runs from their checkpoints), measures each, writes the report.
    @discardableResult
    public func run() throws -> [Record] {
        let chosen = try chosenArms()
        try FileManager.default.createDirectory(atPath: plan.output, withIntermediateDirectories: true)
        let shared = try prepare()
        var records: [Record] = []
        for run in try runs(of: chosen) {
            let trainer = try self.trainer(for: run, shared: shared)
            let label = ([run.arm.name] + (run.variant.map { [$0] } ?? [])).joined(separator: " ")
            plan.log("\(label) seed \(run.seed): training \(trainer.config.maxIters) steps → \(trainer.runDirectory)")
            do { try trainer.run() } catch where Self.keepsStoppedRuns {
                plan.log("  stopped: \(error)")
            }
            let record = try self.record(of: run, trainer: trainer)
            plan.log("  " + record.line)
            records.append(record)
        }
        try writeReport(records)
        plan.log("wrote \(plan.output)/report.html and \(plan.output)/results.md")
        return records
    }

    /// A quiet trainer for the run's folder: resumed from its latest checkpoint when it has one, else new (a run that
    /// stopped before its first checkpoint is started again) from the preset, the shared settings, the seed, the arm's
    /// settings and the overrides (then configure and start).
    func trainer(for run: StudyRun<Arm>, shared: [String]) throws -> Trainer {
        let folder = "\(plan.output)/\(run.name)"
        let trainer: Trainer
        if Checkpoint.latest(root: "\(folder)/checkpoints") != nil {
            trainer = try Trainer.resume(runDirectory: folder)
        } else {
            // a run killed before its first checkpoint has nothing to resume: it starts again
            if RunFolder(folder).holdsRun {
                plan.log("\(run.name): no checkpoint from its last start; starting it again")
                try FileManager.default.removeItem(atPath: folder)
            }
            var config = try TrainConfig.load(plan.preset)
            for setting in shared + ["seed=\(run.seed)"] + run.arm.settings + plan.overrides { try config.apply(override: setting) }
            try configure(&config, for: run)
            trainer = try Trainer(config: config, runDirectory: folder)
            try start(trainer, for: run)
        }
        trainer.progress = false
        return trainer
    }
}
