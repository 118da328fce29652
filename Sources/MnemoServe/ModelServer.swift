// ModelServer.swift — the routes of `mnemo serve`, OpenAI-compatible:
//
//   POST /v1/chat/completions   the run's chat template; stream: true answers text/event-stream chunks and a final
//                               `data: [DONE]`; stops at the end of turn, the end of sequence or a stop string
//   POST /v1/completions        text or token-id prompts (a list gives one choice each), echo, logprobs, max_tokens 0
//   GET  /v1/models, /v1/models/{id}, /health (no key needed; active and waiting requests)
//   GET  /tokenizer_info, POST /tokenize, /detokenize   vLLM's tokenizer routes, which lm-evaluation-harness's
//                               local-completions model uses (tokenizer_backend=remote) when no tokenizer folder exists
//
// A request is read and checked here (JSONRequest, ChatRequest, CompletionRequest, ModelCard's context rule) and any
// refusal is an OpenAI error with a 4xx status; only then does it reach the scheduler. A streaming client that goes
// away is noticed at the next chunk written, and its request is cancelled (its slot freed); a non-streaming request
// is cancelled when its client closes the connection before the answer is ready.
import Foundation
import Hummingbird
import HummingbirdCore
import MnemoData

public struct ModelServer: Sendable {
    public let card: ModelCard
    public let scheduler: GenerationScheduler
    public let apiKey: String?

    public init(card: ModelCard, scheduler: GenerationScheduler, apiKey: String? = nil) {
        self.card = card
        self.scheduler = scheduler
        self.apiKey = apiKey
    }

    /// HTTP/1.1 with a watcher on every connection, so that a non-streamed request learns when its client goes away.
    public static var http: HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [ClientGoneWatcher()]))
    }

    public func router() -> Router<ServeRequestContext> {
        let router = Router(context: ServeRequestContext.self)
        router.add(middleware: OpenAIMiddleware(apiKey: apiKey))
        router.get("/health") { _, _ in
            let load = scheduler.load.snapshot
            return json(.object([("status", .string("ok")), ("model", .string(card.id)), ("active", .int(load.active)),
                                 ("waiting", .int(load.waiting)), ("slots", .int(scheduler.slots)),
                                 ("finished", .int(load.finished)), ("cancelled", .int(load.cancelled))]))
        }
        router.get("/v1/models") { _, _ in json(OpenAIResponses.models(card)) }
        router.get("/v1/models/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard id == card.id else { throw APIError.notFound("the model \(id.debugDescription) does not exist; this server serves \(card.id.debugDescription)") }
            return json(OpenAIResponses.model(card))
        }
        router.post("/v1/chat/completions") { request, context in
            try await chat(try await body(request, context), context: context)
        }
        router.post("/v1/completions") { request, context in
            try await completions(try await body(request, context), context: context)
        }
        router.get("/tokenizer_info") { _, _ in tokenizerInfo() }
        router.post("/tokenize") { request, context in try tokenize(try await body(request, context)) }
        router.post("/detokenize") { request, context in try detokenize(try await body(request, context)) }
        return router
    }

    // MARK: - Chat

    func chat(_ body: JSONRequest, context: ServeRequestContext? = nil) async throws -> Response {
        let request = try ChatRequest(body)
        let prompt = try card.chatPrompt(request.messages)
        let maxTokens = try card.completionBudget(promptTokens: prompt.count, maxTokens: request.parameters.maxTokens,
                                                  defaultTokens: nil, param: "messages")
        var parameters = request.parameters
        var stopTokens = Set(card.endOfSequence)
        if let end = card.endOfTurnToken { stopTokens.insert(end) } else if let format = card.chatFormat { parameters.stop.append(format.endOfTurn) }
        let header = ResponseHeader(id: "chatcmpl-\(Self.randomID())", created: Self.now(), model: card.id)
        let job = GenerationJob(prompt: prompt, maxTokens: maxTokens, parameters: parameters, stopTokens: stopTokens)
        let generation = await scheduler.submit(job)
        guard request.stream else {
            let result = try await Self.whileConnected(context, [generation]) { try await Self.result(of: generation) }
            return json(OpenAIResponses.chatCompletion(header, result))
        }
        let includeUsage = request.includeUsage
        return stream(generation) { event in
            switch event {
            case .start: [OpenAIResponses.chatChunk(header, delta: [("role", .string("assistant")), ("content", .string(""))], finish: nil)]
            case .text(let text): [OpenAIResponses.chatChunk(header, delta: [("content", .string(text))], finish: nil)]
            case .finished(let result):
                [OpenAIResponses.chatChunk(header, delta: [], finish: result.finishReason)]
                    + (includeUsage ? [OpenAIResponses.usageChunk(header, object: "chat.completion.chunk", result)] : [])
            }
        }
    }

    // MARK: - Completions

    func completions(_ body: JSONRequest, context: ServeRequestContext? = nil) async throws -> Response {
        let request = try CompletionRequest(body)
        let tokenizer = card.tokenizer
        var prompts: [(ids: [Int], text: String)] = []
        for prompt in request.prompts {
            switch prompt {
            case .text(let text):
                prompts.append((card.promptPrefix + (try card.encode(text, param: "prompt")), text))
            case .tokens(let ids):
                if let bad = ids.first(where: { $0 >= tokenizer.vocabularySize }) {
                    throw APIError.invalid("prompt", "token id \(bad) is outside the vocabulary (0..<\(tokenizer.vocabularySize))")
                }
                prompts.append((ids, tokenizer.decode(ids)))
            }
            if prompts[prompts.count - 1].ids.isEmpty { throw APIError.invalid("prompt", "the prompt encodes to no tokens") }
        }
        var jobs: [GenerationJob] = []
        for prompt in prompts {
            let maxTokens = try card.completionBudget(promptTokens: prompt.ids.count, maxTokens: request.parameters.maxTokens,
                                                      defaultTokens: 16, param: "prompt")
            jobs.append(GenerationJob(prompt: prompt.ids, maxTokens: maxTokens, parameters: request.parameters,
                                      stopTokens: request.ignoreEOS ? [] : Set(card.endOfSequence), logprobs: request.logprobs,
                                      promptLogprobs: request.echo ? request.logprobs : nil))
        }
        let header = ResponseHeader(id: "cmpl-\(Self.randomID())", created: Self.now(), model: card.id)
        var generations: [Generation] = []
        for job in jobs { generations.append(await scheduler.submit(job)) }
        if request.stream, let generation = generations.first {
            let echo = request.echo ? prompts[0].text : nil, includeUsage = request.includeUsage
            return stream(generation) { event in
                switch event {
                case .start: echo.map { [OpenAIResponses.completionChunk(header, text: $0, finish: nil)] } ?? []
                case .text(let text): [OpenAIResponses.completionChunk(header, text: text, finish: nil)]
                case .finished(let result):
                    [OpenAIResponses.completionChunk(header, text: "", finish: result.finishReason)]
                        + (includeUsage ? [OpenAIResponses.usageChunk(header, object: "text_completion", result)] : [])
                }
            }
        }
        let results = try await Self.whileConnected(context, generations) {
            var results: [GenerationResult] = []
            for generation in generations {
                do { results.append(try await Self.result(of: generation)) } catch {
                    for other in generations { await other.cancel() }
                    throw error
                }
            }
            return results
        }
        var choices: [JSONOut] = [], promptTokens = 0, completionTokens = 0
        for (index, result) in results.enumerated() {
            promptTokens += result.promptTokens
            completionTokens += result.tokens.count
            var logprobs = JSONOut.null
            if request.logprobs != nil {
                var entries: [(token: Int, score: TokenLogprob?)] = []
                if request.echo, let scored = result.promptLogprobs { entries += zip(prompts[index].ids, scored).map { ($0, $1) } }
                entries += zip(result.tokens, result.logprobs ?? []).map { ($0, $1) }
                logprobs = OpenAIResponses.logprobs(entries, tokenizer: tokenizer)
            }
            let text = (request.echo ? prompts[index].text : "") + result.text
            choices.append(OpenAIResponses.completionChoice(index: index, text: text, logprobs: logprobs, finish: result.finishReason))
        }
        return json(OpenAIResponses.completion(header, choices: choices, promptTokens: promptTokens, completionTokens: completionTokens))
    }

    // MARK: - Tokenizer routes (vLLM's)

    func tokenizerInfo() -> Response {
        let tokenizer = card.tokenizer
        func name(_ id: Int?) -> JSONOut {
            guard let id else { return .null }
            return .string(tokenizer.specialTokens.first(where: { $0.value == id })?.key ?? tokenizer.decode([id]))
        }
        return json(.object([("eos_token", name(card.endOfSequence.first)), ("bos_token", name(card.promptPrefix.first)),
                             ("pad_token", .null), ("model_max_length", .int(card.contextLength)),
                             ("vocab_size", .int(tokenizer.vocabularySize)), ("tokenizer_class", .string("mnemo"))]))
    }

    func tokenize(_ body: JSONRequest) throws -> Response {
        guard let text = try body.string("prompt") else { throw APIError.invalid("prompt", "prompt is required: a string", code: "missing_required_parameter") }
        let prefix = (try body.bool("add_special_tokens") ?? true) ? card.promptPrefix : []
        let ids = prefix + (try card.encode(text, param: "prompt"))
        return json(.object([("tokens", .array(ids.map(JSONOut.int))), ("count", .int(ids.count)),
                             ("max_model_len", .int(card.contextLength))]))
    }

    func detokenize(_ body: JSONRequest) throws -> Response {
        guard let value = body["tokens"] else { throw APIError.invalid("tokens", "tokens is required: a list of token ids", code: "missing_required_parameter") }
        guard let items = value.array else { throw APIError.invalid("tokens", "tokens must be a list of token ids, got \(value.kindName)", code: "invalid_type") }
        let ids = try CompletionRequest.tokenIDs(items)
        let text: String
        do { text = try card.tokenizer.decodeChecked(ids) } catch { throw APIError.invalid("tokens", "\(error)") }
        return json(.object([("prompt", .string(text))]))
    }

    // MARK: - Helpers

    /// The request's body as JSON; a body over the upload limit (2 MiB) is a 413.
    func body(_ request: Request, _ context: ServeRequestContext) async throws -> JSONRequest {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: context.maxUploadSize) } catch {
            throw APIError(status: 413, "the request body could not be read within the limit of \(context.maxUploadSize) bytes (\(error))",
                           code: "request_too_large")
        }
        return try JSONRequest(bytes: Array(buffer.readableBytesView))
    }

    func json(_ value: JSONOut) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.text)))
    }

    /// What a stream of generation events becomes on the wire.
    enum StreamEvent {
        case start
        case text(String)
        case finished(GenerationResult)
    }

    /// A text/event-stream response: the chunks `render` makes of each event, then `data: [DONE]`. When the client is
    /// gone (a write fails) the generation is cancelled. A failure after the first chunk (none is expected: requests
    /// are checked before they start) is sent as an error event.
    func stream(_ generation: Generation, render: @escaping @Sendable (StreamEvent) -> [JSONOut]) -> Response {
        let body = ResponseBody { writer in
            func send(_ chunks: [JSONOut]) async throws {
                for chunk in chunks { try await writer.write(ByteBuffer(string: OpenAIResponses.event(chunk))) }
            }
            do {
                try await send(render(.start))
                for await event in generation.events {
                    switch event {
                    case .text(let text): try await send(render(.text(text)))
                    case .finished(let result): try await send(render(.finished(result)))
                    case .failed(let error): try await writer.write(ByteBuffer(string: "data: \(error.json)\n\n"))
                    }
                }
                try await writer.write(ByteBuffer(string: OpenAIResponses.done))
                try await writer.finish(nil)
            } catch {
                await generation.cancel()
                throw error
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// Waits for non-streamed generations by `body`, cancelling them if the client goes away first (nothing happens
    /// to generations that have ended by then). Without a context (tests that call a route directly), just `body`.
    static func whileConnected<T>(_ context: ServeRequestContext?, _ generations: [Generation],
                                  _ body: () async throws -> T) async throws -> T {
        guard let context else { return try await body() }
        return try await context.onClientGone({ Task { for generation in generations { await generation.cancel() } } }, during: body)
    }

    /// The end of a non-streamed generation.
    static func result(of generation: Generation) async throws(APIError) -> GenerationResult {
        for await event in generation.events {
            switch event {
            case .text: continue
            case .finished(let result): return result
            case .failed(let error): throw error
            }
        }
        throw APIError(status: 500, "the generation was cancelled (its client went away)", type: "server_error")
    }

    static func randomID() -> String {
        (0..<24).map { _ in String("0123456789abcdef".randomElement() ?? "0") }.joined()
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970) }
}
