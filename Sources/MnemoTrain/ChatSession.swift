// ChatSession.swift — a multi-turn conversation with a model in a ChatFormat (the built-in ChatML, or the tokenizer's
// Jinja chat template; what `data_layout = "chat"` trains on): the history is rendered with the generation prompt, the
// reply is sampled until the model writes the format's end of turn (or the token budget ends) and streamed, and it
// joins the history.
// `mnemo chat` drives it from the terminal.
import MnemoData
import MnemoModels
import Torch

public final class ChatSession {
    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    public var sampling: SamplingOptions
    public let system: String?
    public private(set) var history: [ChatMessage] = []
    let end: Int
    let format: ChatFormat
    let device: Device
    let generator: Generator?
    let probabilities: (Tensor) -> Tensor

    /// Refused when the format's end of turn is not one token of the tokenizer.
    public init(model: any LanguageModel, tokenizer: any Tokenizer, format: ChatFormat = .chatML, system: String? = nil,
                sampling: SamplingOptions, device: Device = .cpu, generator: Generator? = nil,
                probabilities: @escaping (Tensor) -> Tensor = { $0.softmax(dim: -1) }) throws {
        let endIds = tokenizer.encode(format.endOfTurn, allowedSpecial: .all)
        guard endIds.count == 1, let end = endIds.first else {
            throw ConfigError("the chat format's end of turn \(format.endOfTurn) is not one token of this tokenizer")
        }
        self.format = format
        self.model = model
        self.tokenizer = tokenizer
        self.system = system
        self.end = end
        self.device = device
        self.generator = generator
        self.probabilities = probabilities
        var options = sampling
        options.stopSequences.append([end])
        self.sampling = options
    }

    /// Starts over (the system prompt stays).
    public func reset() { history = [] }

    /// The prompt for the next reply: the system prompt, the history, `user`, and the assistant's opening.
    func prompt(_ user: String) throws -> [Int] {
        let turns = (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + history + [ChatMessage(role: "user", content: user)]
        return tokenizer.encode(try format.render(turns, generationPrompt: true), allowedSpecial: .all)
    }

    /// The model's reply to `user` (at most `maxTokens` tokens), each piece of text passed to `stream` as it is decoded.
    @discardableResult
    public func reply(to user: String, maxTokens: Int, stream: @escaping (String) -> Void = { _ in }) throws -> String {
        let ids = try prompt(user)
        let end = self.end
        var decoder = StreamingDecoder(tokenizer)
        model.eval()
        _ = model.generate(Tensor(ids.map(Int64.init), shape: [1, ids.count], device: device), maxNewTokens: maxTokens,
                           sampling: sampling, generator: generator, probabilities: probabilities, onToken: { next in
            let id = Int(next.toArray(Int64.self)[0])
            guard id != end else { return }
            let piece = decoder.add(id)
            if !piece.isEmpty { stream(piece) }
        })
        let rest = decoder.finish()
        if !rest.isEmpty { stream(rest) }
        let answer = decoder.text
        history += [ChatMessage(role: "user", content: user), ChatMessage(role: "assistant", content: answer)]
        return answer
    }
}
