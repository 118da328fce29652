// OpenAIResponses.swift — the JSON bodies the server answers with, shaped as OpenAI's API documents them: a chat
// completion and its stream chunks (`chat.completion.chunk`, a last chunk with the finish reason, a usage chunk with no
// choices when stream_options.include_usage), a legacy completion (`text_completion`) with its `logprobs` record —
// tokens, token_logprobs (null for a first prompt token), top_logprobs (the alternatives and the chosen token, so up
// to logprobs + 1 entries, as OpenAI returns them) and text_offset (characters, as Python counts them, into the
// choice's text) —, the model list, and the server-sent-events framing.
import MnemoData

public struct ResponseHeader: Sendable {
    public var id: String
    public var created: Int
    public var model: String

    func members(object: String) -> [(String, JSONOut)] {
        [("id", .string(id)), ("object", .string(object)), ("created", .int(created)), ("model", .string(model))]
    }
}

public enum OpenAIResponses {
    public static func usage(prompt: Int, completion: Int) -> JSONOut {
        .object([("prompt_tokens", .int(prompt)), ("completion_tokens", .int(completion)), ("total_tokens", .int(prompt + completion))])
    }

    // MARK: chat

    public static func chatCompletion(_ header: ResponseHeader, _ result: GenerationResult) -> JSONOut {
        let message = JSONOut.object([("role", .string("assistant")), ("content", .string(result.text))])
        let choice = JSONOut.object([("index", .int(0)), ("message", message), ("logprobs", .null),
                                     ("finish_reason", .string(result.finishReason.rawValue))])
        return .object(header.members(object: "chat.completion") + [("choices", .array([choice])),
                       ("usage", usage(prompt: result.promptTokens, completion: result.tokens.count))])
    }

    /// A stream chunk: the role first, then pieces of content, then an empty delta with the finish reason.
    public static func chatChunk(_ header: ResponseHeader, delta: [(String, JSONOut)], finish: FinishReason?) -> JSONOut {
        let choice = JSONOut.object([("index", .int(0)), ("delta", .object(delta)), ("logprobs", .null),
                                     ("finish_reason", finish.map { .string($0.rawValue) } ?? .null)])
        return .object(header.members(object: "chat.completion.chunk") + [("choices", .array([choice]))])
    }

    /// The last chunk when the client asked for usage: no choices.
    public static func usageChunk(_ header: ResponseHeader, object: String, _ result: GenerationResult) -> JSONOut {
        .object(header.members(object: object) + [("choices", .array([])),
                ("usage", usage(prompt: result.promptTokens, completion: result.tokens.count))])
    }

    // MARK: completions

    public static func completion(_ header: ResponseHeader, choices: [JSONOut], promptTokens: Int, completionTokens: Int) -> JSONOut {
        .object(header.members(object: "text_completion") + [("choices", .array(choices)),
                ("usage", usage(prompt: promptTokens, completion: completionTokens))])
    }

    public static func completionChoice(index: Int, text: String, logprobs: JSONOut, finish: FinishReason?) -> JSONOut {
        .object([("text", .string(text)), ("index", .int(index)), ("logprobs", logprobs),
                 ("finish_reason", finish.map { .string($0.rawValue) } ?? .null)])
    }

    public static func completionChunk(_ header: ResponseHeader, text: String, finish: FinishReason?) -> JSONOut {
        .object(header.members(object: "text_completion") + [("choices", .array([completionChoice(index: 0, text: text, logprobs: .null, finish: finish)]))])
    }

    /// The legacy `logprobs` record of tokens (id, and its log-probability when it has one), offsets counted from 0.
    public static func logprobs(_ entries: [(token: Int, score: TokenLogprob?)], tokenizer: any Tokenizer) -> JSONOut {
        var tokens: [JSONOut] = [], logprobs: [JSONOut] = [], tops: [JSONOut] = [], offsets: [JSONOut] = []
        var offset = 0
        for (token, score) in entries {
            let text = tokenizer.decode([token])
            tokens.append(.string(text))
            offsets.append(.int(offset))
            offset += text.unicodeScalars.count
            guard let score else {
                logprobs.append(.null)
                tops.append(.null)
                continue
            }
            logprobs.append(.double(score.logprob))
            var top: [(String, JSONOut)] = []
            for alternative in score.top + [TokenLogprob.Alternative(token: token, logprob: score.logprob)] {
                let key = tokenizer.decode([alternative.token])
                if !top.contains(where: { $0.0 == key }) { top.append((key, .double(alternative.logprob))) }
            }
            tops.append(.object(top))
        }
        return .object([("tokens", .array(tokens)), ("token_logprobs", .array(logprobs)), ("top_logprobs", .array(tops)),
                        ("text_offset", .array(offsets))])
    }

    // MARK: models and framing

    public static func model(_ card: ModelCard) -> JSONOut {
        .object([("id", .string(card.id)), ("object", .string("model")), ("created", .int(card.created)),
                 ("owned_by", .string("mnemo")), ("max_model_len", .int(card.contextLength))])
    }

    public static func models(_ card: ModelCard) -> JSONOut {
        .object([("object", .string("list")), ("data", .array([model(card)]))])
    }

    /// One server-sent event.
    public static func event(_ json: JSONOut) -> String { "data: \(json.text)\n\n" }
    public static let done = "data: [DONE]\n\n"
}
