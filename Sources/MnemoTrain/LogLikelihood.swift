// LogLikelihood.swift — the log-likelihood of token continuations given token contexts, computed as
// lm-evaluation-harness's Hugging Face model computes it (`HFLM._loglikelihood_tokens`): the model reads
// (context + continuation)[-(T + 1):][:-1] — T its context length, so a context too long to fit loses tokens from the
// left and the continuation's last token is never read —, and the continuation's tokens are scored at the last
// positions: the sum of their log-probabilities, and whether each is the argmax (lm-eval's is_greedy).
//
// The log-probabilities are the run's (log-softmax, or LogStableMax for StableMax runs), in float32, without gradients,
// in eval mode. Requests are run in batches of equal input length, so no row is padded: every model gives the same
// numbers alone or batched. Refused: an empty context or continuation (lm-eval conditions an empty context on a BOS
// token; give it as the context), a continuation longer than the context window, and a model that does not predict
// every position (the grokking models answer once).
import Foundation
import MnemoModels
import MnemoSupport
import Torch
import TorchNN

/// A continuation to score after a context, both as token ids.
public struct LogLikelihoodRequest: Sendable, Equatable {
    public var context: [Int]
    public var continuation: [Int]
    public init(context: [Int], continuation: [Int]) {
        self.context = context
        self.continuation = continuation
    }
}

/// What the model says of one continuation.
public struct LogLikelihoodScore: Sendable, Equatable {
    /// Σ log p(token | everything before it), over the continuation's tokens (nats).
    public var logLikelihood: Double
    /// Every continuation token is the model's argmax at its position (lm-eval's is_greedy).
    public var isGreedy: Bool
    /// The continuation's token count.
    public var tokenCount: Int
    /// Context tokens left out on the left so that the request fits the window (0 when it fits).
    public var contextTokensCut: Int
}

public struct LogLikelihoodScorer {
    public let model: any LanguageModel
    public let device: Device
    let logProbabilities: (Tensor) -> Tensor
    /// The most rows one forward pass takes.
    public var rowsPerForward: Int
    /// Where progress lines go for long passes (nil: none).
    public var progress: ((String) -> Void)?

    public init(model: any LanguageModel, device: Device, lossKind: LossKind = .softmax, rowsPerForward: Int = 8,
                progress: ((String) -> Void)? = nil) {
        self.model = model
        self.device = device
        self.logProbabilities = TorchNN.logProbabilities(lossKind)
        self.rowsPerForward = Swift.max(1, rowsPerForward)
        self.progress = progress
    }

    /// The tokens the model reads for `request` (at most T) and how many context tokens were cut to fit.
    static func window(_ request: LogLikelihoodRequest, contextLength: Int) -> (input: [Int], cut: Int) {
        let full = request.context + request.continuation
        let kept = full.suffix(contextLength + 1)
        return (Array(kept.dropLast()), full.count - kept.count)
    }

    /// Scores each request, in order. Puts the model in eval mode (callers that train restore train mode).
    public func score(_ requests: [LogLikelihoodRequest]) throws -> [LogLikelihoodScore] {
        let t = model.contextLength
        for (i, r) in requests.enumerated() {
            if r.context.isEmpty { throw ConfigError("request \(i): an empty context (nothing to condition the first token on)") }
            if r.continuation.isEmpty { throw ConfigError("request \(i): an empty continuation (nothing to score)") }
            if r.continuation.count > t {
                throw ConfigError("request \(i): a continuation of \(r.continuation.count) tokens is longer than the model's \(t)-token context")
            }
        }
        let windows = requests.map { Self.window($0, contextLength: t) }
        // batches of equal input length, longest first (so a model too big for memory fails on the first batch)
        let byLength = Dictionary(grouping: requests.indices) { windows[$0].input.count }
        var results = [LogLikelihoodScore?](repeating: nil, count: requests.count)
        model.eval()
        let reporter = progress.map { ProgressReporter(label: "scoring", total: requests.count, output: $0) }
        try withNoGrad {
            for length in byLength.keys.sorted(by: >) {
                let members = byLength[length]!
                for start in stride(from: 0, to: members.count, by: rowsPerForward) {
                    let rows = Array(members[start..<Swift.min(start + rowsPerForward, members.count)])
                    let scores = try scoreBatch(rows.map { (windows[$0].input, requests[$0].continuation) }, length: length)
                    for (row, i) in rows.enumerated() {
                        results[i] = LogLikelihoodScore(logLikelihood: scores[row].sum, isGreedy: scores[row].greedy,
                                                        tokenCount: requests[i].continuation.count, contextTokensCut: windows[i].cut)
                    }
                    reporter?.advance(by: rows.count)
                }
            }
        }
        return results.map { $0! }
    }

    /// One forward pass over rows of `length` input tokens; each row's continuation is scored at its last positions.
    func scoreBatch(_ rows: [(input: [Int], continuation: [Int])], length: Int) throws -> [(sum: Double, greedy: Bool)] {
        let b = rows.count
        let idx = Tensor(rows.flatMap { $0.input.map(Int64.init) }, shape: [b, length], device: device)
        let logits = model.forward(idx, targets: nil).logits                              // (B, L, V)
        guard logits.size(1) == length else {
            throw ConfigError("this model predicts \(logits.size(1)) of \(length) positions; scoring continuations needs a prediction at every position")
        }
        // each position's next token: the input shifted by one, then the continuation's last token
        let targets = rows.map { row in Array(row.input.dropFirst()) + [row.continuation.last!] }
        let target = Tensor(targets.flatMap { $0.map(Int64.init) }, shape: [b, length], device: device)
        let logp = logProbabilities(logits.float())                                          // (B, L, V)
        let picked = logp.gather(dim: 2, index: target.unsqueeze(2)).squeeze(2)             // (B, L)
        let greedy = logp.argmax(dim: 2) .== target                                         // (B, L)
        let values = picked.double().to(.cpu).toArray(Double.self)
        let hits = greedy.to(.cpu).toArray(Bool.self)
        return rows.enumerated().map { r, row in
            let positions = (length - row.continuation.count)..<length
            return (positions.reduce(0.0) { $0 + values[r * length + $1] }, positions.allSatisfy { hits[r * length + $0] })
        }
    }
}
