// CompletionRequest.swift — POST /v1/completions (OpenAI's legacy completions) read from its JSON: `prompt` as a text,
// a list of texts, a list of token ids or a list of such lists (one choice each, in order); `echo` (the prompt joins
// the text and the log-probabilities), `logprobs` (0…20 alternatives per token), `max_tokens` (0 allowed: score the
// prompt only, which is how lm-evaluation-harness's local-completions model reads log-likelihoods), `stream` (one
// prompt, no logprobs), vLLM's `ignore_eos` (generate max_tokens whatever the model writes: benchmarks) and the
// shared sampling fields (GenerationParameters.swift). `suffix` is refused.
import MnemoData
import MnemoSupport

public struct CompletionRequest: Sendable {
    public enum Prompt: Sendable, Equatable {
        case text(String)
        case tokens([Int])
    }

    public var prompts: [Prompt]
    public var parameters: GenerationParameters
    public var echo: Bool
    /// Alternatives per token in `logprobs` (nil: no logprobs).
    public var logprobs: Int?
    public var stream: Bool
    public var includeUsage: Bool
    /// Do not stop at the end of sequence.
    public var ignoreEOS: Bool

    /// Prompts per request at most (each is its own sequence).
    public static let promptLimit = 256

    public init(_ request: JSONRequest) throws(APIError) {
        guard let prompt = request["prompt"] else { throw .invalid("prompt", "prompt is required: a string, a list of strings, a list of token ids or a list of such lists", code: "missing_required_parameter") }
        prompts = try Self.readPrompts(prompt)
        parameters = try GenerationParameters(request, maxTokensKeys: ["max_tokens"], minimumTokens: 0)
        echo = try request.bool("echo") ?? false
        logprobs = try request.integer("logprobs", in: 0...20)
        stream = try request.bool("stream") ?? false
        includeUsage = try StreamOptions.includeUsage(request, stream: stream)
        ignoreEOS = try request.bool("ignore_eos") ?? false
        if let suffix = try request.string("suffix"), !suffix.isEmpty { throw .invalid("suffix", "suffix (insertion) is not supported") }
        if stream && prompts.count > 1 { throw .invalid("stream", "stream takes one prompt; send a request per prompt") }
        if stream && logprobs != nil { throw .invalid("logprobs", "logprobs are returned without stream only") }
    }

    static func readPrompts(_ value: JSONValue) throws(APIError) -> [Prompt] {
        if let text = value.string { return [.text(text)] }
        guard let items = value.array else {
            throw .invalid("prompt", "prompt must be a string, a list of strings, a list of token ids or a list of such lists; got \(value.kindName)", code: "invalid_type")
        }
        guard !items.isEmpty else { throw .invalid("prompt", "prompt must not be an empty list") }
        if items.allSatisfy({ $0.string == nil && $0.array == nil }) { return [.tokens(try tokenIDs(items))] }
        guard items.count <= promptLimit else { throw .invalid("prompt", "at most \(promptLimit) prompts per request, got \(items.count)") }
        var prompts: [Prompt] = []
        for item in items {
            if let text = item.string { prompts.append(.text(text)); continue }
            guard let ids = item.array else {
                throw .invalid("prompt", "each prompt of a list must be a string or a list of token ids; found \(item.kindName)", code: "invalid_type")
            }
            guard !ids.isEmpty else { throw .invalid("prompt", "a prompt of token ids must not be empty") }
            prompts.append(.tokens(try tokenIDs(ids)))
        }
        return prompts
    }

    static func tokenIDs(_ items: [JSONValue]) throws(APIError) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(items.count)
        for item in items {
            guard let id = item.int, id >= 0 else {
                throw .invalid("prompt", "a token id must be a non-negative integer; found \(item.text(limit: 30))", code: "invalid_type")
            }
            ids.append(id)
        }
        return ids
    }
}

/// `stream_options`: {"include_usage": bool}, only with stream (as OpenAI refuses it otherwise).
enum StreamOptions {
    static func includeUsage(_ request: JSONRequest, stream: Bool) throws(APIError) -> Bool {
        guard let options = request["stream_options"] else { return false }
        guard stream else { throw .invalid("stream_options", "stream_options is only allowed when stream is true") }
        guard options.object != nil else {
            throw .invalid("stream_options", "stream_options must be an object, got \(options.kindName)", code: "invalid_type")
        }
        guard let include = options["include_usage"], !include.isNull else { return false }
        guard let flag = include.bool else {
            throw .invalid("stream_options", "stream_options.include_usage must be a boolean, got \(include.kindName)", code: "invalid_type")
        }
        return flag
    }
}
