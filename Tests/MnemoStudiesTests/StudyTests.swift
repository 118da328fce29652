// StudyTests.swift — the runner every study shares: arms × seeds in folders ARM-seedN, one seed numbering, arms chosen
// by name, and a killed study that continues each run from its checkpoint (exactly: the same numbers as a study that
// was never killed).
import Foundation
@testable import MnemoStudies
import MnemoReport
import MnemoTrain
import Testing

/// The smallest study: two arms of a tiny GPT on a text file; it records each run's training losses.
struct TinyStudy: Study {
    struct Arm: StudyArm {
        var name: String
        var summary: String
        var settings: [String]
    }
    struct Record: StudyRunRecord {
        var run: String
        var losses: [Double]
        var line: String { run }
    }
    /// The runs `start` was called for (new runs; a resumed run is not started again).
    final class Started { var names: [String] = [] }

    static let arms = [Arm(name: "one", summary: "one layer", settings: ["n_layer=1"]),
                       Arm(name: "two", summary: "two layers", settings: ["n_layer=2"])]
    static let preset = "configs/looped-cpu.toml"
    var plan: StudyPlan
    var data: String
    let started = Started()

    func prepare() throws -> [String] { ["data=\(data)"] }
    func start(_ trainer: Trainer, for run: StudyRun<Arm>) throws { started.names.append(run.name) }
    func record(of run: StudyRun<Arm>, trainer: Trainer) throws -> Record {
        let metrics = try MetricsLog(contentsOf: "\(trainer.runDirectory)/metrics.jsonl")
        return Record(run: URL(fileURLWithPath: trainer.runDirectory).lastPathComponent, losses: metrics.series("train_loss").map(\.value))
    }
    func writeReport(_ records: [Record]) throws {
        try records.map(\.run).joined(separator: "\n").write(toFile: "\(plan.output)/results.md", atomically: true, encoding: .utf8)
    }
}

@Suite(.serialized) struct StudyTests {
    static let preset = presetPath("looped-cpu.toml")

    @Test func seedsRunFoldersAndArms() throws {
        #expect(StudyPlan.seeds(count: 3) == [1337, 1338, 1339])
        let arm = TinyStudy.arms[1]
        #expect(StudyRun(arm: arm, seed: 1337).name == "two-seed1337")
        #expect(StudyRun(arm: arm, seed: 1338, variant: "lr3x").name == "two-lr3x-seed1338")
        var study = TinyStudy(plan: StudyPlan(preset: Self.preset, output: "/nowhere", seeds: [1337, 1338]), data: "")
        #expect(study.everyArmBySeed(TinyStudy.arms).map(\.name) == ["one-seed1337", "two-seed1337", "one-seed1338", "two-seed1338"])
        study.plan.armNames = ["two", "one"]
        #expect(try study.chosenArms().map(\.name) == ["two", "one"])
        study.plan.armNames = ["three"]
        #expect { try study.chosenArms() } throws: { "\($0)" == "unknown arm \"three\"; the arms are one, two" }
    }

    @Test func aKilledStudyContinuesEachRunFromItsCheckpoint() throws {
        let dir = try temporaryFolder("study")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var study = TinyStudy(plan: StudyPlan(preset: Self.preset, output: "\(dir)/killed", seeds: [1337]), data: try writeCorpus(in: dir))
        study.plan.overrides = ["n_head=2", "n_embd=16", "block_size=16", "batch_size=4", "max_iters=6", "lr_decay_iters=6",
                                "warmup_iters=1", "eval_interval=3", "eval_iters=1", "log_interval=1", "checkpoint_interval=3"]
        study.plan.log = { _ in }
        // killed in its first run, right after the checkpoint of step 3
        let first = StudyRun(arm: TinyStudy.arms[0], seed: 1337)
        try study.trainer(for: first, shared: study.prepare()).run(stoppingAt: 3)
        study.started.names = []
        let continued = try study.run()
        #expect(study.started.names == ["two-seed1337"], "the first run resumed; only the second is new")
        var straight = TinyStudy(plan: study.plan, data: study.data)
        straight.plan.output = "\(dir)/straight"
        let fresh = try straight.run()
        #expect(continued.map(\.run) == ["one-seed1337", "two-seed1337"])
        #expect(continued.map(\.losses) == fresh.map(\.losses) && continued[0].losses.count == 6)
        #expect(try String(contentsOfFile: "\(dir)/killed/results.md", encoding: .utf8) == "one-seed1337\ntwo-seed1337")

        // killed before the second run's first checkpoint: that run starts again, the same as straight through
        let second = "\(dir)/killed/two-seed1337"
        try FileManager.default.removeItem(atPath: "\(second)/checkpoints")
        #expect(FileManager.default.fileExists(atPath: "\(second)/metrics.jsonl"))
        study.started.names = []
        let restarted = try study.run()
        #expect(study.started.names == ["two-seed1337"] && restarted.map(\.losses) == fresh.map(\.losses))
    }
}
