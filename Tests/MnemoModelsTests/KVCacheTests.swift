// KVCacheTests.swift — generation with the KV cache gives the tokens of generation without it (greedy, so the
// draws do not depend on the generator), for GPT and MiniMind (both RoPE layouts, GQA, MoE), including when the
// sequence outgrows the context and generation falls back to cropped windows; and cached logits equal uncached.
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
}
