// ChatRequest.swift — POST /v1/chat/completions read from its JSON: `messages` (roles system, developer — read as
// system —, user and assistant; content a string or a list of text parts), `stream` with `stream_options`,
// `max_completion_tokens` or `max_tokens` and the shared sampling fields (GenerationParameters.swift). Tools,
// function calls, non-text content, structured output and chat log-probabilities are refused by name.
import MnemoData
import MnemoSupport

public struct ChatRequest: Sendable {
    public var messages: [ChatMessage]
    public var parameters: GenerationParameters
    public var stream: Bool
    public var includeUsage: Bool

    public static let messageLimit = 4096

    public init(_ request: JSONRequest) throws(APIError) {
        guard let value = request["messages"] else { throw .invalid("messages", "messages is required: a list of {role, content}", code: "missing_required_parameter") }
        guard let items = value.array else { throw .invalid("messages", "messages must be a list, got \(value.kindName)", code: "invalid_type") }
        guard !items.isEmpty else { throw .invalid("messages", "messages must not be empty") }
        guard items.count <= Self.messageLimit else { throw .invalid("messages", "at most \(Self.messageLimit) messages, got \(items.count)") }
        var messages: [ChatMessage] = []
        for (i, item) in items.enumerated() { messages.append(try Self.message(item, index: i)) }
        self.messages = messages
        parameters = try GenerationParameters(request, maxTokensKeys: ["max_completion_tokens", "max_tokens"], minimumTokens: 1)
        stream = try request.bool("stream") ?? false
        includeUsage = try StreamOptions.includeUsage(request, stream: stream)
        for key in ["tools", "tool_choice", "functions", "function_call"] where request[key] != nil {
            if key == "tools", request[key]?.array?.isEmpty == true { continue }
            throw .invalid(key, "\(key) is not supported: Mnemo's chat templates are rendered without tools")
        }
        if try request.bool("logprobs") == true { throw .invalid("logprobs", "chat log-probabilities are not supported; /v1/completions returns them") }
        if request["top_logprobs"] != nil { throw .invalid("top_logprobs", "top_logprobs is not supported; /v1/completions returns log-probabilities") }
        if let format = request["response_format"], format["type"]?.string != "text" {
            throw .invalid("response_format", "response_format must be {\"type\": \"text\"}: structured output is not supported")
        }
    }

    static func message(_ item: JSONValue, index i: Int) throws(APIError) -> ChatMessage {
        let param = "messages[\(i)]"
        guard item.object != nil else { throw .invalid(param, "\(param) must be an object {role, content}, got \(item.kindName)", code: "invalid_type") }
        guard let role = item["role"]?.string else { throw .invalid(param, "\(param).role must be a string", code: "invalid_type") }
        let roles = ["system", "developer", "user", "assistant"]
        guard roles.contains(role) else {
            throw .invalid(param, "\(param).role must be one of \(roles.joined(separator: ", ")); got \(role.debugDescription)")
        }
        guard let content = item["content"], !content.isNull else { throw .invalid(param, "\(param).content is required", code: "missing_required_parameter") }
        var text: String
        if let string = content.string {
            text = string
        } else if let parts = content.array {
            text = ""
            for part in parts {
                guard part["type"]?.string == "text", let piece = part["text"]?.string else {
                    throw .invalid(param, "\(param).content parts must be {\"type\": \"text\", \"text\": …}: only text is supported")
                }
                text += piece
            }
        } else {
            throw .invalid(param, "\(param).content must be a string or a list of text parts, got \(content.kindName)", code: "invalid_type")
        }
        return ChatMessage(role: role == "developer" ? "system" : role, content: text)
    }
}
