// TextPerplexityTests.swift — `mnemo eval --text`: lm-eval's disjoint rolling windows (the layout its
// get_rolling_token_windows + make_disjoint_window give, written out by hand), and perplexity and bits per byte against a
// direct forward of a tiny GPT, with and without a prefix token.
import Foundation
import Testing
import MnemoData
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch

@Suite(.serialized) struct TextPerplexityTests {
    @Test func windowsAreLmEvalsDisjointRollingWindows() {
        // prefix p = 100, tokens t0…t6 = 0…6, T = 3. lm-eval: ([p], [t0 t1 t2]), ([t2], [t3 t4 t5]), ([t3 t4 t5], [t6])
        let windows = TextPerplexity.windows([100, 0, 1, 2, 3, 4, 5, 6], contextLength: 3)
        #expect(windows == [
            LogLikelihoodRequest(context: [100], continuation: [0, 1, 2]),
            LogLikelihoodRequest(context: [2], continuation: [3, 4, 5]),
            LogLikelihoodRequest(context: [3, 4, 5], continuation: [6]),
        ])
        // every token after the first is predicted once; a sequence that fits is one window
        #expect(TextPerplexity.windows([100, 0, 1], contextLength: 8) == [LogLikelihoodRequest(context: [100], continuation: [0, 1])])
        #expect(TextPerplexity.windows([100], contextLength: 8).isEmpty)
    }

    @Test func perplexityAndBitsPerByteMatchADirectForward() throws {
        Random.seed(12)
        let text = "to be, or not"                                     // 13 characters, 13 bytes
        let tokenizer = CharTokenizer(corpus: text)                     // no end-of-text token
        let model = GPT(GPTConfig(blockSize: 16, vocabSize: tokenizer.vocabularySize + 1, nLayer: 1, nHead: 2, nEmbd: 16))
        model.eval()
        let scorer = LogLikelihoodScorer(model: model, device: .cpu)
        let ids = tokenizer.encode(text)

        // no prefix: the first character is read only, and its byte is not counted
        let plain = try TextPerplexity.evaluate(text, file: "t.txt", tokenizer: tokenizer, prefixToken: nil, scorer: scorer)
        let (direct, _) = directLogLikelihood(model, context: [ids[0]], continuation: Array(ids.dropFirst()))
        #expect(plain.tokens == 12 && plain.bytes == 12 && plain.windows == 1 && !plain.prefixed)
        #expect(Swift.abs(plain.logLikelihood - direct) < 1e-4)
        #expect(Swift.abs(plain.perplexity - exp(-direct / 12)) < 1e-4)
        #expect(Swift.abs(plain.bitsPerByte - (-direct / (log(2) * 12))) < 1e-5)
        #expect(Swift.abs(plain.bytePerplexity - exp(-direct / 12)) < 1e-4)

        // a prefix token (an end of text): every character is predicted and every byte counted
        let eot = tokenizer.vocabularySize
        let prefixed = try TextPerplexity.evaluate(text, file: "t.txt", tokenizer: tokenizer, prefixToken: eot, scorer: scorer)
        let (all, _) = directLogLikelihood(model, context: [eot], continuation: ids)
        #expect(prefixed.tokens == 13 && prefixed.bytes == 13 && prefixed.prefixed)
        #expect(Swift.abs(prefixed.logLikelihood - all) < 1e-4)

        // longer than the window: the sum over lm-eval's windows, each scored alone
        let long = String(repeating: text, count: 3)                    // 39 tokens, T = 16
        let rolled = try TextPerplexity.evaluate(long, file: "t.txt", tokenizer: tokenizer, prefixToken: eot, scorer: scorer)
        let windows = TextPerplexity.windows([eot] + tokenizer.encode(long), contextLength: 16)
        let expected = windows.map { directLogLikelihood(model, context: $0.context, continuation: $0.continuation).0 }.reduce(0, +)
        #expect(rolled.windows == 3 && rolled.tokens == 39 && Swift.abs(rolled.logLikelihood - expected) < 1e-3)

        #expect { try TextPerplexity.evaluate("t", file: "one.txt", tokenizer: tokenizer, prefixToken: nil, scorer: scorer) } throws: {
            "\($0)".contains("one.txt: 1 token and no prefix token")
        }
    }

    @Test func thePrefixTokenIsLmEvalsBOSElseEOS() throws {
        // a Llama folder without tokenizer_config.json: the <s> its tokenizer.json puts first
        let fixture = try #require(Bundle.module.url(forResource: "hf_tinyllama_sp", withExtension: nil, subdirectory: "Fixtures")).path
        #expect(TextPerplexity.prefixToken(for: try LoadedRun(runDirectory: fixture), folder: fixture) == 1)
        // with one: its bos_token (a string or {"content": …}), else its eos_token, as transformers reads them
        let dir = try temporaryFolder("prefix-token")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for file in ["config.json", "model.safetensors", "tokenizer.json"] {
            try FileManager.default.copyItem(atPath: "\(fixture)/\(file)", toPath: "\(dir)/\(file)")
        }
        for (config, expected) in [(#"{"bos_token": {"content": "</s>"}}"#, 2), (#"{"bos_token": null, "eos_token": "<unk>"}"#, 0)] {
            try config.write(toFile: "\(dir)/tokenizer_config.json", atomically: true, encoding: .utf8)
            #expect(TextPerplexity.prefixToken(for: try LoadedRun(runDirectory: dir), folder: dir) == expected)
        }
    }
}
