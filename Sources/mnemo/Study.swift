// Study.swift — `mnemo study NAME`: suites of ordinary training runs with a report of their own (MnemoStudies). The
// study commands share one set of options (StudyOptions) and one seed numbering (StudyPlan.seeds: 1337, 1338, …).
import ArgumentParser
import Foundation
import MnemoStudies
import Torch

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Run a study: several training runs and a report comparing them.",
        subcommands: [LoopedStudyCommand.self, MemoryStudyCommand.self, MemoryScaleCommand.self, CortexStudyCommand.self,
                      CortexRecallStudyCommand.self, InstructStudyCommand.self])
}

/// A study's defaults on the command line (its preset and arms come from the study).
protocol StudyCommandDefaults: MnemoStudies.Study {
    static var output: String { get }
    static var seedCount: Int { get }
}

extension LoopedStudy: StudyCommandDefaults {
    static let output = "runs/looped-study"
    static let seedCount = 2
}

extension MemoryStudy: StudyCommandDefaults {
    static let output = "runs/memory-study"
    static let seedCount = 2
}

extension CortexStudy: StudyCommandDefaults {
    static let output = "runs/cortex-study"
    static let seedCount = 3
}

extension CortexRecallStudy: StudyCommandDefaults {
    static let output = "runs/cortex-recall-study"
    static let seedCount = 2
}

extension InstructStudy: StudyCommandDefaults {
    static let output = "runs/instruct-study"
    static let seedCount = 2
}

/// The options every `mnemo study` command shares.
struct StudyOptions<S: StudyCommandDefaults>: ParsableArguments {
    @Option(help: "The base preset.") var preset = S.preset
    @Option(help: "Output folder: a run folder ARM-seedN per arm and seed, results.md and report.html.") var out = S.output
    @Option(help: "Number of seeds: seeds 1337, 1338, … (seed n is 1336 + n in every study; the trainer's seed and the N of ARM-seedN).")
    var seeds = S.seedCount
    @Option(help: "Arms to run, comma-separated (default: all of \(S.arms.map(\.name).joined(separator: ", "))).") var arms: String?
    @Option(name: .customLong("set"), help: "Override a preset key for every run (key=value; repeatable), e.g. max_iters=300.")
    var overrides: [String] = []

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
    }

    /// The plan these options give; `settings` go before the --set overrides.
    func plan(settings: [String] = []) -> StudyPlan {
        StudyPlan(preset: preset, output: out, seeds: StudyPlan.seeds(count: seeds),
                  armNames: arms.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                  overrides: settings + overrides)
    }
}

/// --data, for the studies that train on a text file.
struct StudyTextData: ParsableArguments {
    @Option(help: "Text file to train on.") var data = "../shared/data/tinyshakespeare.txt"

    func validate() throws {
        guard FileManager.default.fileExists(atPath: data) else {
            throw ValidationError("no data file \(data); give --data PATH to a text file (e.g. shared/data/tinyshakespeare.txt)")
        }
    }
}

/// Runs a study, then prints its results.md; a failure is one line on standard error and exit code 1.
func runStudy(_ study: some MnemoStudies.Study) throws {
    Runtime.checkVersion()
    do {
        try study.run()
        print(try String(contentsOfFile: "\(study.plan.output)/results.md", encoding: .utf8))
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

struct LoopedStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "looped",
        abstract: "The looped-GPT study: plain vs shared block vs all-layer loss vs x·attn2 + attn vs early exit (≈ 25 min on 2 cores).",
        discussion: """
            Each arm × seed is a run of configs/looped-cpu.toml (12 layers × 64 wide, character-level) with the arm's \
            looped-GPT keys; a killed study continues where it stopped. Writes OUT/ARM-seedN run folders, \
            OUT/results.md (tables and verdicts) and OUT/report.html.
            """)

    @OptionGroup var options: StudyOptions<LoopedStudy>
    @OptionGroup var text: StudyTextData

    func run() throws {
        try runStudy(LoopedStudy(plan: options.plan(), data: text.data))
    }
}

struct MemoryStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "The explicit-memory-bank study: fact recall with A (FFN), B (faithful) and the working layer's arms (B-rand, B-fix, B-exact, B-sup, B-keys), the pointer readout's (B-ptr, B-ptr-sup, B-ptr-exact), knowledge editing.",
        discussion: """
            Each arm × seed is a run of configs/memory-study.toml on synthetic facts (half in the training text, half only \
            in the bank); a killed study continues where it stopped. Writes OUT/ARM-seedN run folders, OUT/results.md \
            (tables and verdicts) and OUT/report.html.
            """)

    @OptionGroup var options: StudyOptions<MemoryStudy>
    @Option(help: "Facts (half in the text, half only in the bank); subjects = facts / 2, at most 4,096.") var facts = 2000
    @Option(help: "Bank rows (a perfect square, at least --facts); sets memory_rows.") var rows = 4096

    var subjects: Int { Swift.min(4096, facts / 2) }

    func validate() throws {
        let side = Int(Double(rows).squareRoot())
        guard facts >= 2, rows >= facts, side * side == rows, facts <= subjects * 8 else {
            throw ValidationError("--rows must be a perfect square ≥ --facts, and --facts at most 32,768 (4,096 subjects × 8 relations)")
        }
    }

    func run() throws {
        var study = MemoryStudy(plan: options.plan(settings: ["memory_rows=\(rows)"]))
        study.dataset = MemoryStudy.Dataset(subjects: subjects, facts: facts, rows: rows)
        try runStudy(study)
    }
}

struct CortexStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cortex",
        abstract: "The CortexGPT stability study: legacy, upstream-unified, full toolkit, plain transformer, one-fix ablations, lr sweep (≈ 35 min on 2 cores).",
        discussion: """
            Each arm × seed is a run of configs/cortex-cpu.toml (4 layers × 64, one dual-memory layer, character-level) \
            with the arm's keys; then A and C at 3×, 10×, 30×, 100× the learning rate (first seed) in OUT/ARM-lrFx-seedN. \
            A killed study continues where it stopped. Writes OUT/ARM-seedN run folders, OUT/results.md (tables and \
            verdicts) and OUT/report.html.
            """)

    @OptionGroup var options: StudyOptions<CortexStudy>
    @OptionGroup var text: StudyTextData
    @Flag(help: "Leave out the learning-rate sweep of A and C.") var noSweep = false

    func run() throws {
        var study = CortexStudy(plan: options.plan(), data: text.data)
        study.learningRateSweep = !noSweep
        try runStudy(study)
    }
}

struct CortexRecallStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cortex-recall",
        abstract: "CortexGPT on a task that needs memory: associative recall across chunks, arms A / C / D with the STM and LTM knocked out.",
        discussion: """
            Each arm × seed is a run of configs/cortex-recall-cpu.toml on the built-in recall stream (facts stated in one \
            chunk, asked in the next or the one after; streams fed in order, cortex_stm_carry on); then exact-answer \
            accuracy at the queries on the val streams, for A and C also with the STM, the LTM and both knocked out. A \
            killed study continues where it stopped. Writes OUT/ARM-seedN run folders, OUT/results.md (tables and \
            verdicts) and OUT/report.html.
            """)

    @OptionGroup var options: StudyOptions<CortexRecallStudy>

    func run() throws {
        try runStudy(CortexRecallStudy(plan: options.plan()))
    }
}

struct InstructStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instruct",
        abstract: "Instruction tuning at CPU scale: pretrain, then full SFT and LoRA with softmax + AdamW or StableMax + ⊥AdamW, then DPO; accuracy on held-out people.",
        discussion: """
            The task is built in (invented people and their facts, InstructTask): the base model pretrains on biographies, \
            the fine-tunes learn ChatML question answering about 60 % of the people, and every arm is scored on greedy \
            replies about the other 40 %. Each arm × seed is a run of configs/instruct-cpu.toml; a killed study continues \
            where it stopped. Writes OUT/task (data and tokenizer), OUT/ARM-seedN run folders, OUT/results.md and \
            OUT/report.html.
            """)

    @OptionGroup var options: StudyOptions<InstructStudy>
    @Option(help: "Pretraining steps (default: the preset's max_iters).") var pretrainSteps: Int?
    @Option(help: "Steps of each SFT and LoRA arm.") var sftSteps = 300
    @Option(help: "Steps of the DPO arm.") var dpoSteps = 150

    func validate() throws {
        guard sftSteps >= 1, dpoSteps >= 1, (pretrainSteps ?? 1) >= 1 else { throw ValidationError("step counts must be at least 1") }
    }

    func run() throws {
        var study = InstructStudy(plan: options.plan())
        study.pretrainSteps = pretrainSteps
        study.sftSteps = sftSteps
        study.dpoSteps = dpoSteps
        try runStudy(study)
    }
}
