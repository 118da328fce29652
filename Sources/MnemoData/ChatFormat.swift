// ChatFormat.swift — how a conversation becomes text, and which parts of it a model learns: the built-in ChatML
// (<|im_start|>role\ncontent<|im_end|>\n), or a Jinja chat template (a tokenizer_config.json's `chat_template`, or the
// chat_template.jinja beside it, as transformers' apply_chat_template renders it) with its bos_token and eos_token.
//
// The learned parts are found by rendering prefixes: for each assistant turn i, the text of turns ..< i with the
// generation prompt, then of turns ... i without it; what the second adds to the first is the assistant's reply and
// its end of turn. A template whose renderings are not prefixes of each other is refused (no guessing).
import Foundation
import MnemoSupport

public struct ChatFormat: Sendable {
    enum Kind: Sendable {
        case chatML
        case template(JinjaTemplate)   // parsed once
    }
    let kind: Kind
    /// The template's bos_token and eos_token strings (ChatML: <|im_start|> and <|im_end|>).
    public let bos: String, eos: String
    /// The text that ends an assistant turn (generation stops there).
    public var endOfTurn: String { eos }

    public static let chatML = ChatFormat(kind: .chatML, bos: "<|im_start|>", eos: "<|im_end|>")

    /// ChatML as a Jinja chat template (what an exported ChatML run's chat_template.jinja holds): it renders as `chatML`.
    public static let chatMLJinja = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
        + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

    /// The Jinja source of a template format (nil for the built-in ChatML).
    public var jinjaSource: String? {
        if case .template(let template) = kind { return template.source }
        return nil
    }

    /// The chat_template of a tokenizer_config.json (with its bos_token and eos_token).
    public static func tokenizerConfig(_ path: String) throws -> ChatFormat {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenDataError(.missingFile, file: path, "cannot read the tokenizer config", hint: "a tokenizer_config.json with a chat_template")
        }
        let json: JSONValue
        do { json = try JSONParser.parseFile([UInt8](data), options: .python) } catch {
            throw TokenDataError(.invalidOption, file: path, "\(error)", hint: nil)
        }
        func token(_ key: String) -> String? { json[key]?.string ?? json[key]?["content"]?.string }
        // transformers 5 saves the template beside the config as chat_template.jinja; that file wins, as it does there
        let jinja = (path as NSString).deletingLastPathComponent + "/chat_template.jinja"
        guard let source = FileManager.default.contents(atPath: jinja).map({ String(decoding: $0, as: UTF8.self) })
                ?? json["chat_template"]?.string else {
            throw TokenDataError(.invalidOption, file: path, "has no chat_template (a string) and no chat_template.jinja beside it", hint: "name one: chat_template = \"chatml\"")
        }
        guard let eos = token("eos_token") else {
            throw TokenDataError(.invalidOption, file: path, "has no eos_token: generation would not know where a turn ends", hint: nil)
        }
        let template: JinjaTemplate
        do { template = try JinjaTemplate(source) } catch { throw TokenDataError(.invalidOption, file: path, "\(error)", hint: nil) }
        return ChatFormat(kind: .template(template), bos: token("bos_token") ?? "", eos: eos)
    }

    /// The text of `messages`, with the assistant's opening when `generationPrompt`.
    public func render(_ messages: [ChatMessage], generationPrompt: Bool) throws -> String {
        switch kind {
        case .chatML:
            return messages.map { "<|im_start|>\($0.role)\n\($0.content)<|im_end|>\n" }.joined()
                + (generationPrompt ? "<|im_start|>assistant\n" : "")
        case .template(let template):
            let messagesValue = JinjaValue.list(messages.map { .dict([("role", .string($0.role)), ("content", .string($0.content))]) })
            return try template.render(["messages": messagesValue, "add_generation_prompt": .bool(generationPrompt),
                                                     "bos_token": .string(bos), "eos_token": .string(eos), "tools": .none])
        }
    }

    /// The conversation's text in order, each piece marked learned (an assistant reply and its end of turn) or not.
    public func segments(_ messages: [ChatMessage]) throws -> [(text: String, learn: Bool)] {
        var pieces: [(text: String, learn: Bool)] = [], covered = ""
        for (i, m) in messages.enumerated() where m.role == "assistant" {
            let before = try render(Array(messages[..<i]), generationPrompt: true)
            let after = try render(Array(messages[...i]), generationPrompt: false)
            guard before.hasPrefix(covered), after.hasPrefix(before) else {
                throw JinjaError(message: "the template does not render conversations as prefixes of each other, so the assistant's part cannot be found", line: 0, column: 0)
            }
            pieces.append((String(before.dropFirst(covered.count)), false))
            pieces.append((String(after.dropFirst(before.count)), true))
            covered = after
        }
        let full = try render(messages, generationPrompt: false)
        guard full.hasPrefix(covered) else {
            throw JinjaError(message: "the template does not render conversations as prefixes of each other", line: 0, column: 0)
        }
        pieces.append((String(full.dropFirst(covered.count)), false))
        return pieces.filter { !$0.text.isEmpty }
    }
}
