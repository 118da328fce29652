// MultipleChoiceEval.swift — multiple-choice accuracy as lm-evaluation-harness scores it (its `multiple_choice` output
// type, zero-shot), and as llm.c scores its HellaSwag .bin files.
//
// A task item (MultipleChoiceTask.swift): each choice is the continuation target_delimiter + choice (" " + choice, lm-eval's
// default) of the query; the pair is tokenized as lm-eval's `_encode_pair` does for a causal model — trailing whitespace
// of the query moves onto the continuation, then context = encode(query), continuation = encode(query +
// continuation)[len(context):], each after the ids a Hugging Face folder's tokenizer puts first (`<s>`; none for a
// Mnemo run) and with special-token strings in the text read as their ids, as a Hugging Face tokenizer reads them.
// Each choice's log-likelihood is LogLikelihood.swift's (a context too long loses tokens from the left, lm-eval's rule).
//
//   acc       argmax of the summed log-likelihoods is the gold choice
//   acc_norm  argmax of log-likelihood / len(choice) in characters (Unicode scalars, Python's len; the delimiter not
//             counted) — lm-eval's acc_norm
//
// An llm.c eval file (HellaSwagFile.swift) is already tokenized and has no characters, so its acc_norm is llm.c's own:
// the argmax of the mean log-likelihood per completion token (hellaswag.py's lowest average loss, the number llm.c's
// training loop reports). Ties go to the first choice (numpy's and torch's argmax). Each accuracy comes with lm-eval's
// standard error: the sample standard deviation of the per-item 0/1 scores over √n (nan for a single item).
import Foundation
import MnemoData
import MnemoModels

/// What acc_norm divides each choice's log-likelihood by.
public enum ChoiceNormalization: String, Sendable {
    /// The choice's length in characters: lm-evaluation-harness's acc_norm.
    case characters
    /// The completion's token count: llm.c's HellaSwag accuracy (the lowest mean loss per token).
    case tokens

    public var summary: String {
        switch self {
        case .characters: "log-likelihood / characters of the choice (lm-eval's acc_norm)"
        case .tokens: "mean log-likelihood per completion token (llm.c's HellaSwag acc_norm)"
        }
    }
}

/// One item's scores.
public struct ChoiceOutcome: Sendable {
    /// The item's line in its task file, or its index in an llm.c eval file.
    public var source: Int
    public var gold: Int
    /// Each choice's summed log-likelihood (nats).
    public var logLikelihoods: [Double]
    /// What acc_norm divides each by.
    public var normalizers: [Double]
    public var prediction: Int { firstArgmax(logLikelihoods) }
    public var normalizedPrediction: Int { firstArgmax(zip(logLikelihoods, normalizers).map { $0 / $1 }) }
}

/// Items tokenized into requests, each choice one request, ready to score (again: the evaluation hook scores the
/// same requests at every evaluation).
public struct PreparedChoices: Sendable {
    public struct Item: Sendable {
        public var source: Int
        public var gold: Int
        public var normalizers: [Double]
    }
    public let normalization: ChoiceNormalization
    public private(set) var items: [Item] = []
    /// Every item's choices, in item order.
    public private(set) var requests: [LogLikelihoodRequest] = []

    init(normalization: ChoiceNormalization) { self.normalization = normalization }

    /// The first `count` items.
    public func prefix(_ count: Int) -> PreparedChoices {
        var first = PreparedChoices(normalization: normalization)
        first.items = Array(items.prefix(count))
        first.requests = Array(requests.prefix(first.items.reduce(0) { $0 + $1.normalizers.count }))
        return first
    }

    mutating func append(source: Int, gold: Int, requests: [LogLikelihoodRequest], normalizers: [Double]) {
        items.append(Item(source: source, gold: gold, normalizers: normalizers))
        self.requests += requests
    }
}

/// A task's accuracies.
public struct MultipleChoiceScores: Sendable {
    public var outcomes: [ChoiceOutcome]
    public var normalization: ChoiceNormalization
    /// Items with at least one choice whose context lost tokens on the left to fit the model's window.
    public var itemsCut: Int

    public var items: Int { outcomes.count }
    public var acc: (mean: Double, stderr: Double) { meanAndStderr(outcomes.map { $0.prediction == $0.gold ? 1 : 0 }) }
    public var accNorm: (mean: Double, stderr: Double) {
        meanAndStderr(outcomes.map { $0.normalizedPrediction == $0.gold ? 1 : 0 })
    }
}

/// The mean of `values` and its standard error as lm-eval reports it: sample standard deviation (n − 1) over √n.
public func meanAndStderr(_ values: [Double]) -> (mean: Double, stderr: Double) {
    let n = Double(values.count)
    guard values.count > 0 else { return (.nan, .nan) }
    let mean = values.reduce(0, +) / n
    guard values.count > 1 else { return (mean, .nan) }
    // lm-eval's order of operations, so that the digits agree: sqrt(Σ (x − μ)² / (n − 1)) / sqrt(n)
    let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
    return (mean, deviation / n.squareRoot())
}

/// The index of the first largest value (numpy's argmax).
func firstArgmax(_ values: [Double]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

public enum MultipleChoiceEval {
    /// lm-eval's default target_delimiter, put between the query and each choice.
    public static let targetDelimiter = " "

    /// lm-eval's `_encode_pair` for a causal model: trailing whitespace of `context` moves onto `continuation`, then
    /// the continuation's ids are those of context + continuation after the context's own. `prefix`: ids the tokenizer
    /// puts before every text (a Hugging Face `<s>`).
    public static func encodePair(context: String, continuation: String, prefix: [Int] = [],
                                  encode: (String) throws -> [Int]) rethrows -> LogLikelihoodRequest {
        var scalars = Array(context.unicodeScalars)
        var moved = String.UnicodeScalarView()
        while let last = scalars.last, last.properties.isWhitespace {
            moved.insert(scalars.removeLast(), at: moved.startIndex)
        }
        let head = String(String.UnicodeScalarView(scalars))
        let tail = String(moved) + continuation
        let contextIDs = prefix + (try encode(head))
        let whole = prefix + (try encode(head + tail))
        return LogLikelihoodRequest(context: contextIDs, continuation: Array(whole.dropFirst(contextIDs.count)))
    }

    /// Task items as requests (lm-eval's), checked against a model of `contextLength` tokens. `file` names the task in
    /// errors.
    public static func prepare(_ items: [MultipleChoiceItem], file: String, contextLength: Int, prefix: [Int] = [],
                               delimiter: String = targetDelimiter, encode: (String) throws -> [Int]) throws -> PreparedChoices {
        var prepared = PreparedChoices(normalization: .characters)
        for item in items {
            var requests: [LogLikelihoodRequest] = []
            for (c, choice) in item.choices.enumerated() {
                let request: LogLikelihoodRequest
                do { request = try encodePair(context: item.query, continuation: delimiter + choice, prefix: prefix, encode: encode) }
                catch { throw ConfigError("\(file):\(item.line): \(error)") }
                try check(request, choice: c, at: "\(file):\(item.line)", contextLength: contextLength)
                requests.append(request)
            }
            prepared.append(source: item.line, gold: item.gold, requests: requests,
                            normalizers: item.choices.map { Double($0.unicodeScalars.count) })
        }
        return prepared
    }

    /// The examples of an llm.c eval file as requests, checked against a model of `contextLength` tokens and
    /// `vocabularySize` ids. `file` names the file in errors.
    public static func prepare(_ examples: [HellaSwagExample], file: String, contextLength: Int,
                               vocabularySize: Int) throws -> PreparedChoices {
        var prepared = PreparedChoices(normalization: .tokens)
        for example in examples {
            let ids = example.context + example.completions.flatMap { $0 }
            if let bad = ids.first(where: { $0 >= vocabularySize }) {
                throw ConfigError("\(file): example \(example.index) holds token id \(bad), outside the model's \(vocabularySize)-token vocabulary; the file was tokenized for another tokenizer (llm.c's files are GPT-2's)")
            }
            var requests: [LogLikelihoodRequest] = []
            for (c, completion) in example.completions.enumerated() {
                let request = LogLikelihoodRequest(context: example.context, continuation: completion)
                try check(request, choice: c, at: "\(file): example \(example.index)", contextLength: contextLength)
                requests.append(request)
            }
            prepared.append(source: example.index, gold: example.label, requests: requests,
                            normalizers: example.completions.map { Double($0.count) })
        }
        return prepared
    }

    /// The task file at `path` prepared for `model`: an llm.c eval file when it ends in .bin (its ids must be below
    /// `vocabularySize`), else a .jsonl task tokenized with `tokenizer` after `prefix`.
    public static func prepare(file path: String, model: any LanguageModel, tokenizer: any Tokenizer, prefix: [Int] = [],
                               vocabularySize: Int, delimiter: String = targetDelimiter) throws -> PreparedChoices {
        if path.lowercased().hasSuffix(".bin") {
            return try prepare(try HellaSwagFile.read(path), file: path, contextLength: model.contextLength, vocabularySize: vocabularySize)
        }
        return try prepare(try MultipleChoiceTask.read(path), file: path, contextLength: model.contextLength, prefix: prefix,
                           delimiter: delimiter) { try evaluationIDs(of: $0, tokenizer) }
    }

    /// Scores prepared items with `scorer`.
    public static func evaluate(_ prepared: PreparedChoices, scorer: LogLikelihoodScorer) throws -> MultipleChoiceScores {
        let scores = try scorer.score(prepared.requests)
        var outcomes: [ChoiceOutcome] = [], cut = 0, next = 0
        for item in prepared.items {
            let mine = scores[next..<next + item.normalizers.count]
            next += item.normalizers.count
            if mine.contains(where: { $0.contextTokensCut > 0 }) { cut += 1 }
            outcomes.append(ChoiceOutcome(source: item.source, gold: item.gold, logLikelihoods: mine.map(\.logLikelihood),
                                          normalizers: item.normalizers))
        }
        return MultipleChoiceScores(outcomes: outcomes, normalization: prepared.normalization, itemsCut: cut)
    }

    static func check(_ request: LogLikelihoodRequest, choice: Int, at place: String, contextLength: Int) throws {
        if request.continuation.isEmpty {
            throw ConfigError("\(place): choice \(choice) adds no tokens to the query (its text tokenizes into the query's last token)")
        }
        if request.continuation.count > contextLength {
            throw ConfigError("\(place): choice \(choice) has \(request.continuation.count) tokens, more than the model's \(contextLength)-token context")
        }
    }
}

/// The ids evaluation reads for `text`: special-token strings as their ids (as a Hugging Face tokenizer reads them); a
/// character vocabulary refuses a character it does not have instead of stopping the process.
func evaluationIDs(of text: String, _ tokenizer: any Tokenizer) throws -> [Int] {
    if let characters = tokenizer as? CharTokenizer { return try characters.encodeChecked(text) }
    return tokenizer.encode(text, allowedSpecial: .all)
}
