// Sample.swift — `mnemo sample RUN`: text from a trained run or a Hugging Face folder (nanoGPT's sample.py, with
// transformers' sampling: temperature, top-k, top-p, repetition penalty, stop at the end of sequence), streamed.
import ArgumentParser
import Foundation
import MnemoData
import MnemoModels
import MnemoTrain
import Torch
import TorchNN

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate text from a run's latest checkpoint.")

    @Argument(help: "Run folder (the --out of `mnemo train`), or a Hugging Face model folder (GPT-2, Llama, Qwen2, MiniMind: config.json, model.safetensors, tokenizer.json or vocab.json + merges.txt).") var runFolder: String
    @Option(help: "Text to continue (default: a newline).") var start = "\n"
    @Option(help: "Number of samples.") var samples = 1
    @Option(help: "Tokens per sample.") var tokens = 500
    @Option(help: "1.0 = no change, < 1.0 = less random.") var temperature = 0.8
    @Option(help: "Keep only the k most likely tokens (0 = all).") var topK = 200
    @Option(help: "Keep the smallest set of most likely tokens whose probability reaches p (1 = all).") var topP = 1.0
    @Option(help: "Repetition penalty θ on tokens already in the text (1 = none; transformers' repetition_penalty).")
    var repetitionPenalty = 1.0
    @Option(help: "Stop when the text generated ends with this (repeatable; special tokens such as <|im_end|> allowed).")
    var stop: [String] = []
    @Flag(help: "Do not stop at the model's end-of-sequence token (by default generation stops there, as transformers').")
    var ignoreEos = false
    @Option(help: "Random seed.") var seed: UInt64 = 1337
    @Option(help: "cpu, cuda or cuda:N (default: the run's device when available, else cpu).") var device: String?
    @Flag(help: "Benchmark: greedy generation of --tokens tokens with and without the KV cache, alternated 5 times; prints ms per token of each, the median speed-up with its range, and checks both give the same tokens.")
    var compareCache = false

    func run() throws {
        Runtime.checkVersion()
        do {
            let loaded = try LoadedRun(runDirectory: runFolder, device: try parseDevice(device))
            let ids = loaded.promptPrefix + loaded.tokenizer.encode(start)   // Llama folders: <s> first, as transformers
            guard !ids.isEmpty else { throw ValidationError("--start encodes to no tokens") }
            if compareCache {
                try Self.compareCache(loaded, prompt: ids, tokens: tokens)
                return
            }
            var options = SamplingOptions(temperature: temperature, topK: topK > 0 ? topK : nil, topP: topP,
                                          repetitionPenalty: repetitionPenalty)
            options.stopSequences = stop.map { loaded.tokenizer.encode($0, allowedSpecial: .all) }
            if !ignoreEos { options.stopSequences += loaded.endOfSequence.map { [$0] } }
            let problems = options.problems()
            guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
            let generator = Generator(seed: seed, device: loaded.device)
            for i in 0..<samples {
                // the prompt, then each token as it comes (text is printed once its bytes decode)
                let prompt = loaded.tokenizer.decode(ids)
                FileHandle.standardOutput.write(Data(prompt.utf8))
                var decoder = StreamingDecoder(loaded.tokenizer)
                // probabilities from the run's loss kind: a StableMax-trained run samples from StableMax
                _ = loaded.model.generate(Tensor(ids.map(Int64.init), shape: [1, ids.count], device: loaded.device),
                                          maxNewTokens: tokens, sampling: options, generator: generator,
                                          probabilities: probabilities(loaded.lossKind)) { next in
                    FileHandle.standardOutput.write(Data(decoder.add(Int(next.toArray(Int64.self)[0])).utf8))
                }
                FileHandle.standardOutput.write(Data(decoder.finish().utf8))
                print("")
                if i < samples - 1 { print("---------------") }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Greedy generation with and without the cache, alternated; the median of the per-pair speed-ups.
    static func compareCache(_ loaded: LoadedRun, prompt: [Int], tokens: Int) throws {
        let idx = Tensor(prompt.map(Int64.init), shape: [1, prompt.count], device: loaded.device)
        func timed(_ useCache: Bool) -> (seconds: Double, ids: [Int64]) {
            let start = Date()
            let out = loaded.model.generate(idx, maxNewTokens: tokens, topK: 1, useCache: useCache)
            let ids = out.to(.cpu).toArray(Int64.self)
            return (Date().timeIntervalSince(start), ids)
        }
        _ = timed(true); _ = timed(false)                                  // warm-up
        var ratios: [Double] = [], cached: [Double] = [], plain: [Double] = []
        for _ in 0..<5 {
            let a = timed(true), b = timed(false)
            guard a.ids == b.ids else { throw ValidationError("cached and uncached generation gave different tokens") }
            cached.append(a.seconds); plain.append(b.seconds); ratios.append(b.seconds / a.seconds)
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        let inContext = min(tokens, max(0, loaded.model.contextLength - prompt.count))
        print(String(format: "generate %d tokens after a %d-token prompt (context %d; the cache covers %d of them), greedy, %@:",
                     tokens, prompt.count, loaded.model.contextLength, inContext, loaded.device.description))
        print(String(format: "  with KV cache    %.2f ms/token", median(cached) / Double(tokens) * 1000))
        print(String(format: "  without          %.2f ms/token", median(plain) / Double(tokens) * 1000))
        print(String(format: "kv_cache_speedup=%.2f (median of 5 pairs; min %.2f, max %.2f); same tokens: yes",
                     median(ratios), ratios.min()!, ratios.max()!))
    }
}
