// Sample.swift — `mnemo sample RUN`: text from a trained run (temperature and top-k, as nanoGPT's sample.py).
import ArgumentParser
import Foundation
import MnemoTrain
import Torch
import TorchNN

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate text from a run's latest checkpoint.")

    @Argument(help: "Run folder (the --out of `mnemo train`), or a Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json + merges.txt).") var runFolder: String
    @Option(help: "Text to continue (default: a newline).") var start = "\n"
    @Option(help: "Number of samples.") var samples = 1
    @Option(help: "Tokens per sample.") var tokens = 500
    @Option(help: "1.0 = no change, < 1.0 = less random.") var temperature = 0.8
    @Option(help: "Keep only the k most likely tokens (0 = all).") var topK = 200
    @Option(help: "Random seed.") var seed: UInt64 = 1337
    @Option(help: "cpu, cuda or cuda:N (default: the run's device when available, else cpu).") var device: String?

    func run() throws {
        Runtime.checkVersion()
        do {
            let loaded = try LoadedRun(runDirectory: runFolder, device: try parseDevice(device))
            let ids = loaded.tokenizer.encode(start)
            guard !ids.isEmpty else { throw ValidationError("--start encodes to no tokens") }
            let generator = Generator(seed: seed, device: loaded.device)
            for i in 0..<samples {
                // probabilities from the run's loss kind: a StableMax-trained run samples from StableMax
                let out = loaded.model.generate(Tensor(ids.map(Int64.init), shape: [1, ids.count], device: loaded.device),
                                                maxNewTokens: tokens, temperature: temperature, topK: topK > 0 ? topK : nil,
                                                generator: generator, probabilities: probabilities(loaded.lossKind))
                print(loaded.tokenizer.decode(out.toArray(Int64.self).map { Int($0) }))
                if i < samples - 1 { print("---------------") }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
