// HuggingFaceSampleTests.swift — `mnemo sample DIR` on a TinyLlama-shaped folder (Llama weights, SentencePiece-style
// tokenizer.json with byte fallback) gives transformers' tokens. Fixture: scripts/sentencepiece_references.py.
import Foundation
import MnemoData
import Testing
import Torch
@testable import MnemoTrain

@Suite struct HuggingFaceSampleTests {
    struct Expected: Decodable {
        let prompt: String
        let input_ids: [Int]
        let greedy_ids: [Int]
        let text: String
    }

    @Test("a TinyLlama-shaped folder: prompt ids with <s>, 12 greedy tokens (cached and not) and the text equal transformers'")
    func tinyLlamaFolderSamplesAsTransformers() throws {
        let folder = try #require(Bundle.module.url(forResource: "hf_tinyllama_sp", withExtension: nil, subdirectory: "Fixtures")).path
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json")))
        let loaded = try LoadedRun(runDirectory: folder)
        #expect(loaded.tokenizer is SentencePieceTokenizer)
        #expect(loaded.promptPrefix == [1])
        let prompt = loaded.promptPrefix + loaded.tokenizer.encode(expected.prompt)
        #expect(prompt == expected.input_ids)
        let idx = Tensor(prompt.map(Int64.init), shape: [1, prompt.count])
        for useCache in [true, false] {
            let out = loaded.model.generate(idx, maxNewTokens: 12, topK: 1, useCache: useCache).toArray(Int64.self).map { Int($0) }
            #expect(Array(out.dropFirst(prompt.count)) == expected.greedy_ids, "useCache \(useCache)")
            #expect(loaded.tokenizer.decode(out) == expected.text)
        }
    }
}
