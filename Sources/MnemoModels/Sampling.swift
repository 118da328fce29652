// Sampling.swift — how generation picks the next token from the last position's logits, the way transformers'
// `generate(do_sample=True)` does, in its order:
//
//   repetition penalty   every token already in the sequence (prompt included): logit / θ if positive, × θ if not
//                        (CTRL; transformers' RepetitionPenaltyLogitsProcessor)
//   temperature          logits / T
//   top-k                all but the k largest → −∞
//   top-p (nucleus)      sorted ascending, a token is dropped while the probability mass up to and including it is at
//                        most 1 − p; the most likely token always stays (TopPLogitsWarper)
//   draw                 one token from the run's probabilities (softmax, or StableMax for StableMax-trained models)
//
// Stop sequences end a row's generation once its generated tokens end with one of them (the stop tokens are kept);
// generation ends when every row has stopped, and a stopped row is padded with the last token of its stop sequence.
// Checked against transformers' processors by scripts/make_sampling_fixtures.py.
import Torch

public struct SamplingOptions: Sendable {
    /// Divides the logits (1: unchanged; below 1: less random).
    public var temperature = 1.0
    /// Keep only the k most likely tokens (nil or ≤ 0: all).
    public var topK: Int? = nil
    /// Keep the smallest set of most likely tokens whose probability reaches p (nil or ≥ 1: all).
    public var topP: Double? = nil
    /// θ of the repetition penalty (1: none).
    public var repetitionPenalty = 1.0
    /// Token sequences that end a row's generation (a single end-of-sequence id is a sequence of one).
    public var stopSequences: [[Int]] = []

    public init(temperature: Double = 1, topK: Int? = nil, topP: Double? = nil, repetitionPenalty: Double = 1,
                stopSequences: [[Int]] = []) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.stopSequences = stopSequences
    }

    /// Greedy decoding (top-1).
    public static let greedy = SamplingOptions(topK: 1)

    /// What makes the options unusable, as messages.
    public func problems() -> [String] {
        var out: [String] = []
        if !(temperature.isFinite && temperature > 0) { out.append("temperature must be a finite number > 0, got \(temperature)") }
        if let topP, !(topP > 0 && topP <= 1) { out.append("top-p must be in (0, 1], got \(topP)") }
        if !(repetitionPenalty.isFinite && repetitionPenalty > 0) { out.append("repetition penalty must be a finite number > 0, got \(repetitionPenalty)") }
        if stopSequences.contains(where: \.isEmpty) { out.append("a stop sequence encodes to no tokens") }
        return out
    }
}

public enum LogitsFilters {
    /// CTRL's repetition penalty on logits (B, V) for the tokens of `sequence` (B, T).
    public static func repetitionPenalty(_ logits: Tensor, sequence: Tensor, penalty: Double) -> Tensor {
        guard penalty != 1 else { return logits }
        let seen = logits.gather(dim: 1, index: sequence)                                   // (B, T)
        let penalised = `where`(seen .< 0, seen * penalty, seen / penalty)
        return logits.scatter(dim: 1, index: sequence, src: penalised)
    }

    /// All but the k largest logits of each row → −∞.
    public static func topK(_ logits: Tensor, k: Int) -> Tensor {
        let kk = Swift.min(k, logits.size(-1))
        let kth = logits.topk(kk).values.narrow(dim: 1, start: kk - 1, length: 1)           // (B, 1)
        return logits.maskedFill(logits .< kth, -Double.infinity)
    }

    /// transformers' TopPLogitsWarper: sorted ascending, drop the tokens whose cumulative probability is at most
    /// 1 − p, never the last (most likely) one.
    public static func topP(_ logits: Tensor, p: Double) -> Tensor {
        let sorted = logits.sort(dim: -1, descending: false)
        let cumulative = sorted.values.softmax(dim: -1).cumsum(dim: -1)                     // (B, V)
        var drop = cumulative .<= (1 - p)
        let v = logits.size(-1)
        let keepLast = Tensor.zeros([logits.size(0), 1], dtype: .bool, device: logits.device)
        drop = cat([drop.narrow(dim: 1, start: 0, length: v - 1), keepLast], dim: 1)
        let dropInPlace = drop.scatter(dim: 1, index: sorted.indices, src: drop)
        return logits.maskedFill(dropInPlace, -Double.infinity)
    }

    /// The filtered, scaled logits (B, V) the next token is drawn from, given the sequence so far (B, T).
    /// `sequence` is built only when the repetition penalty reads it (a generator or server passes its ids on every token).
    public static func apply(_ options: SamplingOptions, to lastLogits: Tensor, sequence: @autoclosure () -> Tensor) -> Tensor {
        var logits = options.repetitionPenalty == 1 ? lastLogits
            : repetitionPenalty(lastLogits, sequence: sequence(), penalty: options.repetitionPenalty)
        if options.temperature != 1 { logits = logits / options.temperature }
        if let k = options.topK, k > 0 { logits = topK(logits, k: k) }
        if let p = options.topP, p < 1 { logits = topP(logits, p: p) }
        return logits
    }
}
