// Train.swift — `mnemo train CONFIG [--set key=value]... --out RUN` and `mnemo train --resume RUN`.
import ArgumentParser
import Foundation
import MnemoTrain
import Torch

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model (GPT by default; `model = \"…\"` picks another) from a config file (TOML or JSON), writing a run folder.",
        discussion: """
        The run folder gets config.json (the resolved settings), metrics.jsonl, log.txt, checkpoints/ and samples/.
        Example: mnemo train configs/shakespeare-char-cpu.toml --set data=../shared/data/tinyshakespeare.txt --out runs/sc
        """)

    @Argument(help: "Config file (.toml or .json). Not needed with --resume.") var config: String?
    @Option(name: .customLong("set"), help: "Override a setting: --set key=value (repeatable; with --resume: settings that do not change the model, data or loss, e.g. max_iters).") var overrides: [String] = []
    @Option(help: "Run folder to create.") var out: String?
    @Option(help: "Continue the run in this folder from its latest checkpoint.") var resume: String?
    @Option(help: "Start from a Hugging Face folder (GPT-2, Llama, Qwen2/3, MiniMind) or a Mnemo run folder (its latest weights), as nanoGPT's init_from; same as --set init_from=DIR.")
    var initFrom: String?
    @Flag(help: "Benchmark mode: log every step and finish with one `mnemo ms_per_step=… tok_per_s=… peak_rss_mb=… final_loss=…` line (on CUDA also peak_alloc_mb=… peak_reserved_mb=…).")
    var bench = false
    @Flag(help: "Print only evaluations, not every log line.") var quiet = false

    func run() throws {
        Runtime.checkVersion()
        do {
            // under torchrun / Slurm / a launcher that sets WORLD_SIZE > 1: join the process group (c10d Gloo)
            let group = try ProcessGroup.fromEnvironment()
            let trainer: Trainer
            if let resume {
                // --set on resume extends or adjusts the run (max_iters, min_lr, eval_interval, …)
                trainer = try Trainer.resume(runDirectory: resume, overrides: overrides, group: group)
            } else {
                guard let configPath = config else { throw ValidationError("give a config file, or --resume RUN") }
                var settings = try TrainConfig.load(configPath)
                if bench { settings.logInterval = 1; settings.sampleTokens = 0 }
                for o in overrides { try settings.apply(override: o) }
                if let initFrom { settings.initFrom = initFrom }
                let folder = out ?? "runs/\(URL(fileURLWithPath: configPath).deletingPathExtension().lastPathComponent)"
                trainer = try Trainer(config: settings, runDirectory: folder, group: group)
            }
            trainer.progress = !quiet
            var stepSeconds: [Double] = []
            var lastLoss = Double.nan
            var tokensPerStep = 0.0
            var previous = Date()
            trainer.onLog = { step, values in
                let now = Date()
                if step >= 10 { stepSeconds.append(now.timeIntervalSince(previous)) }
                previous = now
                lastLoss = values["train_loss"] ?? lastLoss
                tokensPerStep = Double(trainer.config.batchSize * trainer.config.blockSize * trainer.config.gradientAccumulationSteps)
            }
            try trainer.run()
            if bench, !stepSeconds.isEmpty, trainer.isPrimary {
                let mean = stepSeconds.reduce(0, +) / Double(stepSeconds.count)
                var line = String(format: "mnemo ms_per_step=%.2f tok_per_s=%.0f peak_rss_mb=%.1f final_loss=%.4f",
                                  mean * 1000, tokensPerStep / mean, peakResidentMegabytes(), lastLoss)
                if case .cuda(let index) = trainer.device, let memory = try? Runtime.cudaMemory(device: index) {
                    line += String(format: " peak_alloc_mb=%.0f peak_reserved_mb=%.0f",
                                   Double(memory.peakAllocated) / 1048576, Double(memory.peakReserved) / 1048576)
                }
                print(line)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Peak resident set size of this process (getrusage), in MiB.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// A `--device` option's value; nil stays nil (the command's default).
func parseDevice(_ text: String?) throws -> Device? {
    guard let text else { return nil }
    guard let device = Device(text) else { throw ValidationError("device '\(text)': use cpu, cuda or cuda:N") }
    return device
}
