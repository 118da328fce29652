// KVCacheTests.swift — generation with the KV cache gives the tokens of generation without it (greedy, so the
// draws do not depend on the generator), for GPT and MiniMind (both RoPE layouts, GQA, MoE, the memory bank), including when the
// sequence outgrows the context and generation falls back to cropped windows; and cached logits equal uncached.
// Batched decoding (BatchedKVCache): rows of different lengths, stepped together, in any order or a subset of them,
// give each row the logits its own cache gives, also when the storage grows.
import Foundation
import Testing
@testable import MnemoModels
@testable import Torch
import TorchNN

@Suite struct KVCacheTests {
    static var models: [(String, any IncrementalDecoding)] {
        Random.seed(21)
        var gpt = GPTConfig.defaults
        gpt.vocabSize = 50; gpt.blockSize = 24; gpt.nLayer = 2; gpt.nHead = 2; gpt.nEmbd = 16; gpt.bias = true
        var out: [(String, any IncrementalDecoding)] = [("gpt", GPT(gpt))]
        for (layout, moe) in [("interleaved", false), ("rotate_half", false), ("interleaved", true)] {
            var c = MiniMindConfig()
            c.dim = 32; c.nLayers = 2; c.nHeads = 4; c.nKVHeads = 2; c.vocabSize = 50; c.maxSeqLen = 24
            c.ropeLayout = RopeLayout(rawValue: layout)!; c.useMoE = moe
            out.append(("minimind \(layout)\(moe ? " moe" : "")", MiniMind(c)))
        }
        var bank = MiniMindConfig()   // the explicit memory bank in place of every FFN (dense retrieval)
        bank.dim = 32; bank.nLayers = 2; bank.nHeads = 4; bank.nKVHeads = 2; bank.vocabSize = 50; bank.maxSeqLen = 24
        bank.useMemory = true; bank.memoryRows = 16; bank.memoryLength = 4; bank.memoryKeyDim = 8; bank.memoryCandidates = 4
        bank.memoryRetrieval = .dense
        out.append(("minimind memory bank", MiniMind(bank)))
        return out
    }

    @Test func cachedGreedyGenerationEqualsUncached() {
        for (name, model) in Self.models {
            model.eval()
            let prompt = Tensor.randint(0, 50, [2, 5], generator: Generator(seed: 3))
            for steps in [10, 30] {   // 30: past the context of 24, where the cache gives way to cropping
                let cached = model.generate(prompt, maxNewTokens: steps, topK: 1, useCache: true)
                let plain = model.generate(prompt, maxNewTokens: steps, topK: 1, useCache: false)
                #expect(cached.toArray(Int64.self) == plain.toArray(Int64.self), "\(name), \(steps) tokens")
            }
        }
    }

    @Test func cachedLogitsEqualTheFullForward() {
        for (name, model) in Self.models {
            model.eval()
            let idx = Tensor.randint(0, 50, [2, 12], generator: Generator(seed: 4))
            let cache = model.makeCache()
            var steps = [model.decode(idx.narrow(dim: 1, start: 0, length: 6), cache: cache)]   // the prompt
            for t in 6..<12 { steps.append(model.decode(idx.narrow(dim: 1, start: t, length: 1), cache: cache)) }
            #expect(cache.length == 12)
            let full = model.forward(idx, targets: nil).logits                                   // (B, T, V)
            for (i, t) in (5..<12).enumerated() {
                let d = (steps[i] - full.select(dim: 1, index: t)).abs().max().item()
                #expect(d < 1e-4, "\(name) position \(t): |Δ| \(d)")
            }
        }
    }

    /// Three sequences (prompts of 5, 9 and 3 tokens) decode alone and, from copies of their caches, together.
    @Test func batchedStepsEqualEachSequenceAlone() {
        var long = GPTConfig.defaults
        long.vocabSize = 50; long.blockSize = 90; long.nLayer = 2; long.nHead = 2; long.nEmbd = 16; long.bias = true
        let models = Self.models + [("gpt, storage growing past 64 positions", GPT(long) as any IncrementalDecoding)]
        for (name, model) in models {
            model.eval()
            let growing = model.contextLength > 64
            let promptLengths = growing ? [60, 9, 3] : [5, 9, 3]
            let steps = growing ? 12 : 10
            let generator = Generator(seed: 5)
            let sequences = promptLengths.map { Tensor.randint(0, 50, [1, $0 + steps], generator: generator) }
            withNoGrad {
                let batched = model.makeBatchedCache(rows: 4)
                let rowOf = [2, 0, 3]   // rows out of order: the step gathers its rows
                var alone: [KVCache] = []
                for (i, sequence) in sequences.enumerated() {
                    let cache = model.makeCache()
                    _ = model.decode(sequence.narrow(dim: 1, start: 0, length: promptLengths[i]), cache: cache)
                    batched.load(row: rowOf[i], from: cache)
                    alone.append(cache)
                }
                for step in 0..<steps {
                    // every third step leaves the second sequence out
                    let taking = step % 3 == 2 ? [0, 2] : [0, 1, 2]
                    let position = taking.map { alone[$0].length }
                    let tokens = cat(taking.map { sequences[$0].narrow(dim: 1, start: position[taking.firstIndex(of: $0)!], length: 1) }, dim: 0)
                    batched.begin(rows: taking.map { rowOf[$0] }, device: .cpu)
                    let together = model.decode(tokens, cache: batched)                          // (N, V)
                    for (n, i) in taking.enumerated() {
                        let own = model.decode(tokens.narrow(dim: 0, start: n, length: 1), cache: alone[i])   // (1, V)
                        let d = (together.narrow(dim: 0, start: n, length: 1) - own).abs().max().item()
                        #expect(d < 1e-5, "\(name), step \(step), sequence \(i): |Δ| \(d)")
                        #expect(batched.lengths[rowOf[i]] == alone[i].length)
                    }
                }
                #expect(batched.lengths[1] == 0)
            }
        }
    }
}
