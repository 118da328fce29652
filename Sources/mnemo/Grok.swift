// Grok.swift — `mnemo grok [--suite demo|full] [--out DIR] [--eval-every N] [--jobs N] [--only ARM]...`: the grokking
// study (MnemoStudies/GrokStudy.swift; its report is MnemoStudies/GrokReport.swift). Arms run as child processes of
// this same executable (`--arm NAME`), `--jobs` at a time, longest first, each with one libtorch thread (`--threads`
// changes it): an arm's arithmetic then does not depend on how many arms run beside it — a figure reproduces with
// `--only ARM` as inside `make demo` — and small full-batch matmuls gain little from a second thread anyway. Then it
// prints the table and writes DIR/report.html.
import ArgumentParser
import Foundation
import MnemoReport
import MnemoStudies
import Torch

struct Grok: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the grokking study (softmax collapse, StableMax, ⊥AdamW) and write an HTML report.",
        discussion: """
        Suites: demo (B1: 40% of add mod 113, MLP, lr 0.01, 400 steps — AdamW wd 0, ⊥AdamW wd 0, AdamW wd 4; \
        B3: 70%, 2,500 steps — StableMax CE against softmax CE), full (adds B2: softmax at 40% for 2,500 steps, and \
        the one-layer transformer arms). Each arm writes DIR/<arm>/ (config.json, metrics.jsonl, log.txt), which \
        `mnemo report` also reads.
        """)

    @Option(help: "Suite: demo or full.") var suite = "demo"
    @Option(help: "Output folder (default runs/grok-<suite>).") var out: String?
    @Option(help: "Evaluate every N steps (default: each arm's own, 10).") var evalEvery: Int?
    @Option(help: "Arms run at once, as processes (default: the number of cores, at most the number of arms).")
    var jobs: Int?
    @Option(help: "Run only this arm (repeatable).") var only: [String] = []
    @Option(help: "Override every arm's number of steps (shorter trials, benchmarks).") var steps: Int?
    @Option(help: "Override the seed of the initial weights (default 42).") var seed: UInt64?
    @Option(help: "Override the seed of the train/test split (default 0).") var splitSeed: UInt64?
    @Option(help: .hidden) var arm: String?
    @Option(help: "libtorch threads per arm (default 1, so that every arm computes the same whatever runs beside it).")
    var threads: Int?

    func validate() throws {
        guard GrokSuite(rawValue: suite) != nil else {
            throw ValidationError("unknown suite '\(suite)'; choose one of: \(GrokSuite.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let evalEvery, evalEvery < 0 { throw ValidationError("--eval-every must be 0 or more") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let threads, threads < 1 || threads > 4096 { throw ValidationError("--threads must be between 1 and 4096") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        let names = GrokSuite(rawValue: suite)!.arms.map(\.name)
        for name in only + (arm.map { [$0] } ?? []) where !names.contains(name) {
            throw ValidationError("suite \(suite) has no arm '\(name)'; its arms: \(names.joined(separator: ", "))")
        }
    }

    var folder: String { out ?? "runs/grok-\(suite)" }

    /// The suite's arms after --only, --eval-every and --steps.
    var arms: [GrokArm] {
        GrokSuite(rawValue: suite)!.arms.filter { only.isEmpty || only.contains($0.name) }.map { arm in
            var a = arm
            if let evalEvery { a.evalEvery = evalEvery }
            if let steps { a.steps = steps }
            if let seed { a.seed = seed }
            if let splitSeed { a.splitSeed = splitSeed }
            return a
        }
    }

    func run() throws {
        Runtime.checkVersion()
        if let name = arm {  // a child: one arm, in this process
            Runtime.threads = threads ?? 1
            let chosen = arms.first { $0.name == name }!
            let directory = "\(folder)/\(name)"
            let timing = try GrokTrainer.run(chosen, directory: directory) { line in emit(line) }
            // One machine-readable line (bench/bench_grok.sh reads it).
            let result = try GrokArmResult(arm: chosen, root: folder)
            let perStep = timing.secondsPerStep ?? .nan
            emit(String(format: "mnemo-grok arm=%@ steps_per_s=%.3f ms_per_step=%.2f final_train_loss=%.6g test_acc=%.4f wall_s=%.1f",
                        name, 1 / perStep, perStep * 1000, result.last("train_loss_est") ?? .nan,
                        result.last("test_acc") ?? .nan, timing.wallSeconds))
            return
        }

        let selected = arms
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let parallel = min(jobs ?? cores, selected.count)
        let perArm = threads ?? 1
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        emit("mnemo grok: suite \(suite), \(selected.count) arms, \(parallel) at a time with \(perArm) libtorch "
              + "thread\(perArm == 1 ? "" : "s") each (\(cores) cores), writing \(folder)/")
        let start = Date()
        let failed = try runArms(selected, parallel: parallel, threads: perArm)
        let wall = Date().timeIntervalSince(start)

        var results: [GrokArmResult] = []
        for arm in selected where !failed.contains(arm.name) {
            results.append(try GrokArmResult(arm: arm, root: folder))
        }
        let reportPath = "\(folder)/report.html"
        try GrokReport.write(results.map(\.record), suite: suite, wallSeconds: wall, to: reportPath)
        emit("")
        emit(GrokReport.table(results.map(\.record)))
        emit(String(format: "\nstudy wall time %.0f s (%.1f min)", wall, wall / 60))
        emit("report: \(reportPath)")
        if !failed.isEmpty {
            FileHandle.standardError.write(Data("error: arms failed: \(failed.sorted().joined(separator: ", ")) (see their log.txt)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Prints a line with one unbuffered write, so that it keeps its place among the children's lines.
    func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    /// Runs the arms as child processes, `parallel` at a time, longest first. Returns the names of failed arms.
    func runArms(_ selected: [GrokArm], parallel: Int, threads: Int) throws -> Set<String> {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var queue = selected.sorted { $0.cost > $1.cost }
        var running: [(name: String, process: Process, started: Date)] = []
        var failed = Set<String>()
        while !queue.isEmpty || !running.isEmpty {
            while running.count < parallel, !queue.isEmpty {
                let next = queue.removeFirst()
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                var arguments = ["grok", "--suite", suite, "--out", folder, "--arm", next.name, "--threads", String(threads)]
                if let evalEvery { arguments += ["--eval-every", String(evalEvery)] }
                if let steps { arguments += ["--steps", String(steps)] }
                if let seed { arguments += ["--seed", String(seed)] }
                if let splitSeed { arguments += ["--split-seed", String(splitSeed)] }
                process.arguments = arguments
                try process.run()
                running.append((next.name, process, Date()))
            }
            Thread.sleep(forTimeInterval: 0.2)
            for (i, item) in running.enumerated().reversed() where !item.process.isRunning {
                let seconds = Date().timeIntervalSince(item.started)
                if item.process.terminationStatus != 0 {
                    failed.insert(item.name)
                    emit("mnemo grok: \(item.name) failed (exit status \(item.process.terminationStatus))")
                } else {
                    emit(String(format: "mnemo grok: %@ done in %.0f s", item.name, seconds))
                }
                running.remove(at: i)
            }
        }
        return failed
    }
}

/// `mnemo demo`: Mnemo's main job, what `make demo` runs — the grokking study's demo suite (`mnemo grok --suite demo`).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mnemo's main job (what `make demo` runs): the grokking study's demo suite, its table and HTML report.")

    @Option(help: "Output folder.") var out = "runs/grok-demo"

    func run() throws {
        let grok = try Grok.parse(["--suite", "demo", "--out", out])
        try grok.run()
    }
}
