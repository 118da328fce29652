// Study.swift — `mnemo study NAME`: suites of ordinary training runs with a report of their own.
import ArgumentParser
import Foundation
import MnemoStudies
import Torch

struct Study: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a study: several training runs and a report comparing them.",
        subcommands: [LoopedStudyCommand.self, MemoryStudyCommand.self, MemoryScaleCommand.self, CortexStudyCommand.self])
}

/// Runs a study, then prints its results.md; a failure is one line on standard error and exit code 1.
func runStudy(out: String, _ body: () throws -> Void) throws {
    do {
        try body()
        print(try String(contentsOfFile: "\(out)/results.md", encoding: .utf8))
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// The checks every study command makes first: at least one seed and, for a study that trains on a text file, the file.
func checkStudyInputs(seeds: Int, data: String? = nil) throws {
    guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
    if let data, !FileManager.default.fileExists(atPath: data) {
        throw ValidationError("no data file \(data); give --data PATH to a text file (e.g. shared/data/tinyshakespeare.txt)")
    }
}

/// --arms "A, B-fix" → ["A", "B-fix"].
func armList(_ text: String) -> [String] { text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

struct LoopedStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "looped",
        abstract: "The looped-GPT study: plain vs shared block vs all-layer loss vs x·attn2 + attn vs early exit (≈ 25 min on 2 cores).",
        discussion: """
            Each arm × seed is a run of configs/looped-cpu.toml (12 layers × 64 wide, character-level) with the arm's \
            looped-GPT keys; a killed study continues where it stopped. Writes OUT/ARM-seedN run folders, \
            OUT/results.md (tables and verdicts) and OUT/report.html.
            """)

    @Option(help: "Text file to train on.") var data = "../shared/data/tinyshakespeare.txt"
    @Option(help: "The base preset.") var preset = "configs/looped-cpu.toml"
    @Option(help: "Output folder.") var out = "runs/looped-study"
    @Option(help: "Number of seeds (1, 2, …).") var seeds = 2
    @Option(help: "Arms to run, comma-separated (default: all of plain, shared, shared_all, double_attn, shared_exit).")
    var arms: String?
    @Option(name: .customLong("set"), help: "Override a preset key for every arm (key=value; repeatable), e.g. max_iters=300.")
    var overrides: [String] = []

    func run() throws {
        Runtime.checkVersion()
        try checkStudyInputs(seeds: seeds, data: data)
        let plan = StudyPlan(preset: preset, output: out, seeds: Array(1...seeds).map { 1336 + $0 }, armNames: arms.map(armList),
                             overrides: overrides)
        let study = LoopedStudy(plan: plan, data: data)
        try runStudy(out: out) { try study.run() }
    }
}

struct MemoryStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "The explicit-memory-bank study: fact recall with A (FFN), B (faithful) and the working layer's arms (B-rand, B-fix, B-exact, B-sup, B-keys).",
        discussion: """
            Each arm × seed is a run of configs/memory-study.toml on synthetic facts (half in the training text, half only \
            in the bank); a killed study continues where it stopped. Writes OUT/ARM-seedN run folders, OUT/results.md \
            (tables and verdicts) and OUT/report.html.
            """)

    @Option(help: "The base preset.") var preset = "configs/memory-study.toml"
    @Option(help: "Output folder.") var out = "runs/memory-study"
    @Option(help: "Number of seeds (1, 2, …).") var seeds = 2
    @Option(help: "Arms to run, comma-separated (default: all).") var arms: String?
    @Option(help: "Facts (half in the text, half only in the bank); subjects = facts / 2, at most 4,096.") var facts = 2000
    @Option(help: "Bank rows (a perfect square, at least --facts); sets memory_rows.") var rows = 4096
    @Option(name: .customLong("set"), help: "Override a preset key for every arm (key=value; repeatable).")
    var overrides: [String] = []

    func run() throws {
        Runtime.checkVersion()
        try checkStudyInputs(seeds: seeds)
        let subjects = Swift.min(4096, facts / 2)
        guard facts >= 2, rows >= facts, Int(Double(rows).squareRoot()) * Int(Double(rows).squareRoot()) == rows,
              facts <= subjects * 8 else {
            throw ValidationError("--rows must be a perfect square ≥ --facts, and --facts at most 32,768 (4,096 subjects × 8 relations)")
        }
        let plan = StudyPlan(preset: preset, output: out, seeds: Array(1...seeds).map { 1336 + $0 }, armNames: arms.map(armList),
                             overrides: ["memory_rows=\(rows)"] + overrides)
        var study = MemoryStudy(plan: plan)
        study.dataset = MemoryStudy.Dataset(subjects: subjects, facts: facts, rows: rows)
        try runStudy(out: out) { try study.run() }
    }
}

struct CortexStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cortex",
        abstract: "The CortexGPT stability study: legacy, upstream-unified, full toolkit, plain transformer, one-fix ablations, lr sweep (≈ 35 min on 2 cores).",
        discussion: """
            Each arm × seed is a run of configs/cortex-cpu.toml (4 layers × 64, one dual-memory layer, character-level) \
            with the arm's keys; then A and C at 3×, 10×, 30×, 100× the learning rate (first seed). A killed study continues \
            where it stopped. Writes OUT/ARM-seedN run folders, OUT/results.md (tables and verdicts) and OUT/report.html.
            """)

    @Option(help: "Text file to train on.") var data = "../shared/data/tinyshakespeare.txt"
    @Option(help: "The base preset.") var preset = "configs/cortex-cpu.toml"
    @Option(help: "Output folder.") var out = "runs/cortex-study"
    @Option(help: "Number of seeds (1, 2, …).") var seeds = 3
    @Option(help: "Arms to run, comma-separated (default: all of A, B, C, D and C's eight ablations).") var arms: String?
    @Flag(help: "Leave out the learning-rate sweep of A and C.") var noSweep = false
    @Option(name: .customLong("set"), help: "Override a preset key for every arm (key=value; repeatable), e.g. max_iters=300.")
    var overrides: [String] = []

    func run() throws {
        Runtime.checkVersion()
        try checkStudyInputs(seeds: seeds, data: data)
        let plan = StudyPlan(preset: preset, output: out, seeds: Array(1...seeds), armNames: arms.map(armList), overrides: overrides)
        var study = CortexStudy(plan: plan, data: data)
        study.learningRateSweep = !noSweep
        try runStudy(out: out) { try study.run() }
    }
}
