// GenerationParameters.swift — the sampling fields both endpoints share, read and range-checked from a request:
// temperature (0…2; 0 is greedy), top_p (0…1; 0 keeps only the most likely token), top_k and repetition_penalty
// (vLLM's extensions), seed, stop (a string or a list), max_tokens, n (must be 1). Fields Mnemo cannot honour are
// refused by name rather than ignored: n > 1, best_of > 1, non-zero presence / frequency penalties, a logit_bias.
import MnemoModels

public struct GenerationParameters: Sendable, Equatable {
    /// Tokens to generate at most (checked against the context once the prompt is known).
    public var maxTokens: Int?
    /// 0: greedy (the most likely token); otherwise divides the logits.
    public var temperature = 1.0
    public var topP = 1.0
    public var topK: Int? = nil
    public var repetitionPenalty = 1.0
    /// The request's own random stream (nil: a fresh random seed).
    public var seed: UInt64? = nil
    /// Texts that end the completion where they first appear (not included in it).
    public var stop: [String] = []

    public init() {}

    /// The largest max_tokens any request may name before the context check.
    public static let maxTokensLimit = 1 << 20

    /// Reads the shared fields; `maxTokensKeys` in order of preference (chat: max_completion_tokens, then max_tokens).
    public init(_ request: JSONRequest, maxTokensKeys: [String], minimumTokens: Int) throws(APIError) {
        for key in maxTokensKeys {
            if let value = try request.integer(key, in: minimumTokens...Self.maxTokensLimit) { maxTokens = value; break }
        }
        temperature = try request.number("temperature", in: 0...2) ?? 1
        topP = try request.number("top_p", in: 0...1) ?? 1
        if let k = try request.integer("top_k", in: -1...Int(Int32.max)), k > 0 { topK = k }
        repetitionPenalty = try request.number("repetition_penalty", in: 0.01...100) ?? 1
        if let seed = try request.integer("seed", in: Int.min...Int.max) { self.seed = UInt64(bitPattern: Int64(seed)) }
        stop = try request.stopStrings()
        if let n = try request.integer("n", in: 1...128), n != 1 {
            throw .invalid("n", "n must be 1: Mnemo's server returns one choice per prompt (send the request again for more)")
        }
        if let best = try request.integer("best_of", in: 1...128), best != 1 {
            throw .invalid("best_of", "best_of must be 1: Mnemo's server does not rank several samples")
        }
        for key in ["presence_penalty", "frequency_penalty"] {
            if let penalty = try request.number(key, in: -2...2), penalty != 0 {
                throw .invalid(key, "\(key) is not supported (only 0); repetition_penalty is")
            }
        }
        if let bias = request["logit_bias"] {
            guard let members = bias.object else { throw .invalid("logit_bias", "logit_bias must be an object, got \(bias.kindName)", code: "invalid_type") }
            if !members.isEmpty { throw .invalid("logit_bias", "logit_bias is not supported") }
        }
    }

    /// The filters Sampling.swift applies before a token is drawn (temperature 0 and top_p 0 are greedy, drawn by
    /// argmax instead: see `isGreedy`).
    public var sampling: SamplingOptions {
        SamplingOptions(temperature: isGreedy ? 1 : temperature, topK: topK, topP: topP < 1 && !isGreedy ? topP : nil,
                        repetitionPenalty: repetitionPenalty)
    }

    /// Whether the next token is the most likely one (after the repetition penalty).
    public var isGreedy: Bool { temperature == 0 || topP == 0 || topK == 1 }
}
