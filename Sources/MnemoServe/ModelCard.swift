// ModelCard.swift — what the request handlers know of the served model without touching it: its name, tokenizer,
// context length, chat format and where generation stops. Built once at start-up; plain values (Sendable), so any
// handler may read it while the model itself stays on its thread (GenerationScheduler.swift).
//
// The chat format is the run's (`mnemo chat`'s choice: a folder's tokenizer_config.json, else the run's
// chat_template). Its end of turn stops a reply: as one token when the tokenizer has it as one, else as text (a
// character-level model writes `<|im_end|>` letter by letter). A model with no usable chat format still serves
// completions; chat requests are refused with the reason.
import MnemoData

public struct ModelCard: Sendable {
    /// The name /v1/models lists and every response carries.
    public let id: String
    public let tokenizer: any Tokenizer
    /// The longest sequence (prompt + completion) the model reads.
    public let contextLength: Int
    /// Ids put before a text prompt (a Llama folder's <s>, as transformers' tokenizer adds it); none for a Mnemo run.
    public let promptPrefix: [Int]
    /// Ids that end a completion (the model's end of sequence).
    public let endOfSequence: [Int]
    public let chatFormat: ChatFormat?
    /// Why chat is refused, when `chatFormat` is nil.
    public let chatProblem: String?
    /// Unix time of start-up (/v1/models' `created`).
    public let created: Int

    public init(id: String, tokenizer: any Tokenizer, contextLength: Int, promptPrefix: [Int] = [], endOfSequence: [Int] = [],
                chatFormat: ChatFormat?, chatProblem: String? = nil, created: Int) {
        self.id = id
        self.tokenizer = tokenizer
        self.contextLength = contextLength
        self.promptPrefix = promptPrefix
        self.endOfSequence = endOfSequence
        self.chatFormat = chatFormat
        self.chatProblem = chatFormat == nil ? (chatProblem ?? "this model has no chat format") : nil
        self.created = created
    }

    /// The end of turn as one token id, when the tokenizer has it as one.
    public var endOfTurnToken: Int? {
        guard let format = chatFormat, let ids = try? encode(format.endOfTurn, param: "messages") else { return nil }
        return ids.count == 1 ? ids[0] : nil
    }

    /// The ids of `text`, special-token strings included (as Hugging Face tokenizers and vLLM read a prompt). A text
    /// the tokenizer cannot spell (a character outside a character-level vocabulary) is refused, never a trap.
    public func encode(_ text: String, param: String) throws(APIError) -> [Int] {
        do {
            switch tokenizer {
            case let characters as CharTokenizer: return try characters.encodeChecked(text)
            case let numbers as NumberTokenizer: return try numbers.encodeChecked(text)
            default: return tokenizer.encode(text, allowedSpecial: .all)
            }
        } catch {
            throw APIError.invalid(param, "this model's tokenizer cannot encode the text: \(error)")
        }
    }

    /// The ids of a conversation, ending with the assistant's opening (as `mnemo chat` renders it).
    public func chatPrompt(_ messages: [ChatMessage]) throws(APIError) -> [Int] {
        guard let format = chatFormat else { throw APIError(chatProblem ?? "this model has no chat format", param: "messages", code: "chat_unavailable") }
        let text: String
        do { text = try format.render(messages, generationPrompt: true) } catch {
            throw APIError("the chat template could not render these messages: \(error)", param: "messages")
        }
        return try encode(text, param: "messages")
    }

    /// Refuses a prompt that leaves no room for `maxTokens` (OpenAI's and vLLM's rule: prompt + completion ≤
    /// context); returns the completion budget (the rest of the context when none was asked for, capped at
    /// `defaultTokens`).
    public func completionBudget(promptTokens: Int, maxTokens: Int?, defaultTokens: Int?, param: String) throws(APIError) -> Int {
        if promptTokens > contextLength {
            throw APIError("this model's maximum context length is \(contextLength) tokens, but the prompt has \(promptTokens); shorten it",
                           param: param, code: "context_length_exceeded")
        }
        let room = contextLength - promptTokens
        guard let maxTokens else { return min(room, defaultTokens ?? room) }
        if maxTokens > room {
            throw APIError("this model's maximum context length is \(contextLength) tokens; you asked for \(promptTokens + maxTokens) (\(promptTokens) in the prompt, \(maxTokens) to generate): lower max_tokens or shorten the prompt",
                           param: "max_tokens", code: "context_length_exceeded")
        }
        return maxTokens
    }
}
