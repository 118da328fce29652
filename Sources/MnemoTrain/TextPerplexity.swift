// TextPerplexity.swift — perplexity and bits per byte of a text file (`mnemo eval RUN --text FILE`), with
// lm-evaluation-harness's rolling windows (`loglikelihood_rolling`: get_rolling_token_windows with context_len 1 and
// make_disjoint_window), so the numbers are lm-eval's word-for-word on the same model:
//
//   the text is one token sequence, after a prefix token (lm-eval's prefix_token_id: the tokenizer's BOS, else its
//   EOS — `prefixToken(for:)`), so that the first token is predicted too; the predicted tokens are cut into disjoint
//   windows of T (the model's context): the first window reads the prefix and the first T − 1 tokens, every later
//   one reads the T tokens before its last predicted token (a last, shorter window gets a full context) — every token
//   is predicted exactly once, with between 1 and T tokens of context. Non-overlapping, not a sliding window.
//
//   perplexity      exp(−Σ log p / tokens predicted)
//   bits per byte   −Σ log p / (ln 2 × UTF-8 bytes of the text)     (lm-eval's bits_per_byte)
//   byte perplexity exp(−Σ log p / bytes)                           (lm-eval's byte_perplexity)
//
// A tokenizer without an end-of-text token (a character vocabulary) gives no prefix: the first token is then context
// only, and its bytes are left out of the byte count. Refused: a text too short to predict one token.
import Foundation
import MnemoData
import MnemoModels
import MnemoSupport

public struct TextPerplexity: Sendable {
    /// Tokens predicted.
    public var tokens: Int
    /// UTF-8 bytes those tokens cover.
    public var bytes: Int
    /// Σ log p over the predicted tokens (nats).
    public var logLikelihood: Double
    /// Forward windows.
    public var windows: Int
    /// A prefix token was put before the text (the first token is predicted).
    public var prefixed: Bool

    public var perplexity: Double { exp(-logLikelihood / Double(tokens)) }
    public var bitsPerByte: Double { -logLikelihood / (log(2) * Double(bytes)) }
    public var bytePerplexity: Double { exp(-logLikelihood / Double(bytes)) }

    /// lm-eval's disjoint rolling windows over `sequence` (whose first token is only read): each predicts the tokens
    /// after the previous one's, up to `contextLength` of them, reading up to `contextLength` tokens before each.
    public static func windows(_ sequence: [Int], contextLength: Int) -> [LogLikelihoodRequest] {
        var requests: [LogLikelihoodRequest] = []
        var start = 1
        while start < sequence.count {
            let end = Swift.min(start + contextLength, sequence.count)
            let from = Swift.max(0, end - 1 - contextLength)
            requests.append(LogLikelihoodRequest(context: Array(sequence[from..<start]), continuation: Array(sequence[start..<end])))
            start = end
        }
        return requests
    }

    /// lm-eval's prefix_token_id for `loaded`: the tokenizer's BOS token, else its EOS token. A Hugging Face folder names
    /// them in its tokenizer_config.json (bos_token, eos_token: a string or {"content": …}); without one, and for a Mnemo
    /// run, the ids the tokenizer puts first (`<s>`) or else the end of sequence (GPT-2's `<|endoftext|>`, which
    /// transformers' GPT-2 tokenizer also takes for its BOS). Nil when there is none (a character vocabulary).
    public static func prefixToken(for loaded: LoadedRun, folder: String) -> Int? {
        if HuggingFaceFolder.isModelFolder(folder), let data = FileManager.default.contents(atPath: "\(folder)/tokenizer_config.json"),
           let json = try? JSONParser.parse([UInt8](data), options: .python) {
            for key in ["bos_token", "eos_token"] {
                guard let name = json[key]?.string ?? json[key]?["content"]?.string else { continue }
                if let id = loaded.tokenizer.specialTokens[name] { return id }
                let ids = loaded.tokenizer.encode(name, allowedSpecial: .all)
                if ids.count == 1 { return ids[0] }
            }
        }
        return loaded.promptPrefix.last ?? loaded.endOfSequence.first
    }

    /// Scores `text`: tokenized as `leading` (ids a Hugging Face folder's tokenizer puts first) + its ids, with special-
    /// token strings read as their ids, after `prefixToken` when there is one. `file` names the text in errors.
    public static func evaluate(_ text: String, file: String, tokenizer: any Tokenizer, leading: [Int] = [], prefixToken: Int?,
                                scorer: LogLikelihoodScorer) throws -> TextPerplexity {
        if let characters = tokenizer as? CharTokenizer {
            do { _ = try characters.encodeChecked(text) } catch { throw ConfigError("\(file): \(error)") }
        }
        let ids = leading + tokenizer.encodeConcurrently(text, allowedSpecial: .all)
        let sequence = prefixToken.map { [$0] + ids } ?? ids
        guard sequence.count >= 2 else {
            throw ConfigError("\(file): \(ids.count) token\(ids.count == 1 ? "" : "s") and no prefix token; perplexity needs at least one token to predict")
        }
        var bytes = text.utf8.count
        if prefixToken == nil && leading.isEmpty { bytes -= tokenizer.decode([ids[0]]).utf8.count }
        let requests = windows(sequence, contextLength: scorer.model.contextLength)
        let scores = try scorer.score(requests)
        return TextPerplexity(tokens: sequence.count - 1, bytes: Swift.max(bytes, 1), logLikelihood: scores.reduce(0) { $0 + $1.logLikelihood },
                              windows: requests.count, prefixed: prefixToken != nil)
    }
}
