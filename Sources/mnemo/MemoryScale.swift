// MemoryScale.swift — `mnemo study memory-scale`: the explicit memory bank at ExplicitLM's size on this CPU.
// (1) One memory layer's forward at N = 16k, 65k, 262k and 1M rows (MiniMind2's width 512, key dim 128, 16
// candidates, rows of 16 ids, 4 × 256 tokens), product keys against exact retrieval: product keys should grow about
// as √N, exact as N. (2) A MiniMind2-sized model (8 layers × 512) whose every FFN is a memory layer over one
// 1,048,576-row bank trains a few steps with the working EMA after every step (feature offsets for the rows it
// touches only): seconds per step, rows the EMA changed, the offsets' size, and resident memory.
import ArgumentParser
import Foundation
import MnemoModels
import MnemoSupport
import Torch
import TorchNN
import TorchOptim

struct MemoryScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory-scale",
        abstract: "The memory bank at ExplicitLM's size: retrieval cost by bank size, and a 1M-row bank training on this CPU.")

    @Option(help: "Training steps of the 1M-row model.") var steps = 3
    @Option(help: "Optimizer steps between the 1M-row model's EMA updates (0: no EMA).") var emaEvery = 1
    @Flag(help: "Skip exact retrieval at 1M rows (it decodes every row each forward).") var skipExactMillion = false

    func run() throws {
        Runtime.checkVersion()
        var base = MiniMindConfig()
        base.useMemory = true
        base.memoryLength = 16
        base.memoryKeyDim = 128
        base.memoryCandidates = 16
        print("memory layer forward, d 512, key dim 128, k 16, rows of 16 ids, batch 4 × 256 tokens (median of 5, ms):")
        print("| rows N | √N | product keys ms | exact ms | product keys µs/token |")
        print("| ---: | ---: | ---: | ---: | ---: |")
        for n in [16_384, 65_536, 262_144, 1_048_576] {
            var keys = base
            keys.memoryRows = n
            let pk = MemoryLayerTiming.forwardMilliseconds(keys, batch: 4, sequence: 256)
            var exact = keys
            exact.memoryRetrieval = .exact
            let ex = n == 1_048_576 && skipExactMillion ? Double.nan : MemoryLayerTiming.forwardMilliseconds(exact, batch: 4, sequence: 256, repeats: 3)
            print(String(format: "| %@ | %d | %.1f | %@ | %.1f |", groupedThousands(n), Int(Double(n).squareRoot()), pk,
                         ex.isNaN ? "—" : String(format: "%.1f", ex), pk * 1000 / 1024))
        }

        var config = base
        config.memoryRows = 1_048_576
        config.maxSeqLen = 256
        config.memoryEMAEvery = emaEvery
        let before = residentMegabytes()
        Random.seed(1)
        let model = MiniMind(config)
        let built = residentMegabytes()
        let optimizer = AdamW(groups: [ParameterGroup(params: model.parameters(), lr: 2e-4, weightDecay: 0.1, betas: (0.9, 0.95))])
        var seconds: [Double] = [], updated: [Int] = []
        for step in 0..<steps {
            let x = Tensor.randint(0, config.vocabSize, [4, 256]), y = Tensor.randint(0, config.vocabSize, [4, 256])
            let start = Date()
            let output = model.forward(x, targets: y)
            var loss = crossEntropy(output.logits.view(-1, config.vocabSize), y.view(-1))
            for aux in output.auxiliaryLosses { loss = loss + aux.value * aux.weight }
            loss.backward()
            optimizer.step()
            optimizer.zeroGrad()
            updated.append(model.afterOptimizerStep(step: step)["memory_rows_updated"] ?? 0)
            seconds.append(Date().timeIntervalSince(start))
        }
        let bankBytes = (model.memoryRows?.count ?? 0) * 4
        print(String(format: "\n1,048,576-row bank, MiniMind2 width (8 layers × 512, every FFN a memory layer): %@ trainable parameters, bank %.0f MiB (int32 ids), resident %.0f MiB before the model, %.0f MiB built, %.0f MiB peak while training; %.2f s/step at 4 × 256 tokens (steps: %@)",
                     groupedThousands(model.parameterCount), Double(bankBytes) / 1_048_576, before, built, peakResidentMegabytes(),
                     seconds.dropFirst().reduce(0, +) / Double(Swift.max(seconds.count - 1, 1)),
                     seconds.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
        if emaEvery > 0 {
            let rows = model.memoryOffsetRows
            print(String(format: "EMA every %d step(s) (time included above): rows changed per update %@; feature offsets for %@ rows, %.1f MiB (an N × d cache would be %.0f MiB)",
                         emaEvery, updated.map(String.init).joined(separator: ", "), groupedThousands(rows),
                         Double(rows * config.dim * 4) / 1_048_576, Double(config.memoryRows * config.dim * 4) / 1_048_576))
        }
    }
}

/// Current resident set size (VmRSS), in MiB.
func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return .nan }
    return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan) / 1024
}
