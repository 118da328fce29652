// GenerationScheduler.swift — the one owner of the served model: every request becomes a slot with its own row of
// KV cache, random stream, streaming decoder and stop check, and one loop on the model's thread (ModelThread.swift)
// advances all active slots together.
//
// Each turn of the loop gives every active request one token. Requests whose sequence sits in their row of the
// batched cache (BatchedKVCache) decode together: one forward of batch N, each row at its own position, attending to
// its own positions only. A request runs alone for its first token — its prompt fills a cache of its own, which is
// then copied into its row — and when it cannot use the cache: a model that cannot decode incrementally (early exit,
// CortexGPT's memory) or a sequence that has outgrown the context recomputes its (cropped) window, as `generate`
// does. Sampling is per request (its parameters, filters and seeded generator) on its row of the step's logits.
//
// At most `slots` requests are active; the rest wait in arrival order. A request whose consumer goes away (a dropped
// stream, a cancelled task) is cancelled and its slot freed before the next turn. Prompts with `promptLogprobs`
// (echo) are scored by one full forward first: the log-probability of every prompt token after the first, under the
// model's own probabilities (log-softmax, or LogStableMax for StableMax runs), and its top alternatives; the same
// forward's last position gives the first generated token. Log-probabilities are the model's, before temperature and
// filters. Refused here (by event, never a trap): scoring a prompt on a model that predicts only its last position.
import Foundation
import MnemoData
import MnemoModels
import Torch
import TorchNN

/// One request to the model: a prompt (checked against the context by the caller) and how to continue it.
public struct GenerationJob: Sendable {
    public var prompt: [Int]
    public var maxTokens: Int
    public var parameters: GenerationParameters
    /// Ids that end the completion and are not part of it (the end of sequence; a chat's end of turn).
    public var stopTokens: Set<Int>
    /// Log-probability of each generated token, with this many alternatives (nil: none).
    public var logprobs: Int?
    /// Log-probability of each prompt token (echo), with this many alternatives (nil: none).
    public var promptLogprobs: Int?

    public init(prompt: [Int], maxTokens: Int, parameters: GenerationParameters, stopTokens: Set<Int> = [],
                logprobs: Int? = nil, promptLogprobs: Int? = nil) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.parameters = parameters
        self.stopTokens = stopTokens
        self.logprobs = logprobs
        self.promptLogprobs = promptLogprobs
    }
}

/// A token's log-probability and the most likely tokens at its position (most likely first).
public struct TokenLogprob: Sendable, Equatable {
    public var token: Int
    public var logprob: Double
    public var top: [Alternative]

    public struct Alternative: Sendable, Equatable {
        public var token: Int
        public var logprob: Double
    }
}

public enum FinishReason: String, Sendable {
    case stop, length
}

public struct GenerationResult: Sendable {
    /// The completion's text (a stop string and what follows it removed).
    public var text: String
    /// The completion's token ids (a stop token excluded).
    public var tokens: [Int]
    public var finishReason: FinishReason
    public var promptTokens: Int
    /// Per prompt position (nil for the first, which has no context), when asked for.
    public var promptLogprobs: [TokenLogprob?]?
    /// Per completion token, when asked for.
    public var logprobs: [TokenLogprob]?
}

/// A submitted job: its events, and the way to give up on it.
public struct Generation: Sendable {
    public let events: AsyncStream<GenerationEvent>
    let id: Int
    let scheduler: GenerationScheduler

    /// Frees the job's slot (nothing happens when it has already ended).
    public func cancel() async { await scheduler.cancel(id) }
}

public enum GenerationEvent: Sendable {
    /// Text to stream (it never contains a part that a stop string later removes).
    case text(String)
    case finished(GenerationResult)
    case failed(APIError)
}

/// Active and waiting requests, readable without waiting for the model's thread (/health).
public final class SchedulerLoad: @unchecked Sendable {
    // @unchecked: every field is read and written under `lock`.
    private let lock = NSLock()
    private var counts = (active: 0, waiting: 0, finished: 0, cancelled: 0)

    public var snapshot: (active: Int, waiting: Int, finished: Int, cancelled: Int) {
        lock.lock(); defer { lock.unlock() }
        return counts
    }

    func update(_ change: (inout (active: Int, waiting: Int, finished: Int, cancelled: Int)) -> Void) {
        lock.lock(); defer { lock.unlock() }
        change(&counts)
    }
}

public actor GenerationScheduler {
    private let thread: ModelThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    private let model: any LanguageModel
    private let incremental: (any IncrementalDecoding)?
    private let tokenizer: any Tokenizer
    private let device: Device
    private let probabilities: (Tensor) -> Tensor
    private let logProbabilities: (Tensor) -> Tensor
    /// Requests decoded at once at most.
    public nonisolated let slots: Int
    public nonisolated let load = SchedulerLoad()

    private var active: [Slot] = []
    private var waiting: [Slot] = []
    /// One row per slot for the requests decoding together; made by the first request that can use it.
    private var batched: BatchedKVCache?
    private var freeRows: [Int]
    private var nextID = 0
    private var looping = false

    /// Takes the model (in eval mode, on `device`); from here on only the model's thread touches it.
    public init(model: sending any LanguageModel, tokenizer: any Tokenizer, device: Device, lossKind: LossKind, slots: Int,
                thread: ModelThread = ModelThread()) {
        self.thread = thread
        self.model = model
        self.incremental = (model as? any IncrementalDecoding).flatMap { $0.decodesIncrementally ? $0 : nil }
        self.tokenizer = tokenizer
        self.device = device
        self.probabilities = TorchNN.probabilities(lossKind)
        self.logProbabilities = TorchNN.logProbabilities(lossKind)
        self.slots = max(1, slots)
        self.freeRows = Array((0..<max(1, slots)).reversed())
    }

    /// Queues `job`; its events arrive on the generation's stream, which ends after `.finished` or `.failed`. A
    /// consumer whose task is cancelled while it waits cancels the job; one that stops reading calls `cancel()`.
    public func submit(_ job: GenerationJob) -> Generation {
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream()
        nextID += 1
        let id = nextID
        continuation.onTermination = { termination in
            if case .cancelled = termination { Task { await self.cancel(id) } }
        }
        let seed = job.parameters.seed ?? UInt64.random(in: 0...UInt64.max)
        waiting.append(Slot(id: id, job: job, continuation: continuation, generator: Generator(seed: seed, device: device),
                            tokenizer: tokenizer))
        load.update { $0.waiting += 1 }
        if !looping {
            looping = true
            Task { await self.loop() }
        }
        return Generation(events: stream, id: id, scheduler: self)
    }

    /// Ends a job's events (a consumer still waiting sees the stream end without a result) and frees its slot.
    func cancel(_ id: Int) {
        if let slot = (active + waiting).first(where: { $0.id == id }), !slot.done {
            slot.done = true
            slot.continuation.finish()
            load.update { $0.cancelled += 1 }
        }
    }

    /// Admits waiting requests into free slots, gives every active one a token, and yields so that new requests and
    /// cancellations get in between turns; stops when nothing is left (and lets the batched cache go).
    private func loop() async {
        while true {
            for slot in active where slot.done { release(slot) }
            active.removeAll(where: \.done)
            waiting.removeAll(where: \.done)
            while active.count < slots, !waiting.isEmpty { active.append(waiting.removeFirst()) }
            let (running, queued) = (active.count, waiting.count)
            load.update { $0.active = running; $0.waiting = queued }
            if active.isEmpty { break }
            withNoGrad { turn() }
            await Task.yield()
        }
        batched = nil
        looping = false
    }

    // MARK: - One turn

    /// One token for every active request: the ones whose row holds their sequence in one batched forward, the others
    /// alone.
    private func turn() {
        var together: [Slot] = []
        for slot in active where !slot.done {
            if slot.promptLogprobs == nil, let k = slot.job.promptLogprobs {
                guard scorePrompt(slot, alternatives: k) else { continue }
            }
            if slot.generated.count >= slot.job.maxTokens {
                finish(slot, .length)
            } else if let logits = slot.pendingLogits {
                slot.pendingLogits = nil
                choose(slot, logits)
            } else if slot.row != nil, slot.ids.count <= model.contextLength {
                together.append(slot)
            } else {
                choose(slot, aloneLogits(slot))
            }
        }
        guard let incremental, let batched, !together.isEmpty else { return }
        batched.begin(rows: together.map { $0.row! }, device: device)
        let last = Tensor(together.map { Int64($0.ids.last!) }, shape: [together.count, 1], device: device)   // (N, 1)
        let logits = incremental.decode(last, cache: batched)                                                    // (N, V)
        for (i, slot) in together.enumerated() { choose(slot, logits.narrow(dim: 0, start: i, length: 1)) }
    }

    /// The next token's logits (1, V) of a request run alone: its whole sequence through a cache of its own, which
    /// then fills its row of the batched cache (later turns decode it with the others); or, when the model or the
    /// sequence's length rules the cache out, the last window recomputed.
    private func aloneLogits(_ slot: Slot) -> Tensor {
        release(slot)
        if let incremental, slot.ids.count <= model.contextLength {
            let own = incremental.makeCache()
            let logits = incremental.decode(tensor(slot.ids), cache: own)                   // (1, V)
            let batched = self.batched ?? incremental.makeBatchedCache(rows: slots)
            self.batched = batched
            let row = freeRows.removeLast()
            batched.load(row: row, from: own)
            slot.row = row
            return logits
        }
        return model.lastLogits(tensor(Array(slot.ids.suffix(model.contextLength))))
    }

    /// Gives a slot's row of the batched cache back.
    private func release(_ slot: Slot) {
        guard let row = slot.row else { return }
        batched?.free(row: row)
        freeRows.append(row)
        slot.row = nil
    }

    /// Picks the slot's next token from its logits (1, V) and takes it.
    private func choose(_ slot: Slot, _ logits: Tensor) {
        let token = pick(slot, logits)
        let scored = slot.job.logprobs.map { scores(logProbabilities(logits.to(.float32)), tokens: [token], alternatives: $0)[0] }
        accept(slot, token, scored)
    }

    private func pick(_ slot: Slot, _ logits: Tensor) -> Int {
        let parameters = slot.job.parameters
        let filtered = LogitsFilters.apply(parameters.sampling, to: logits, sequence: tensor(slot.ids))
        if parameters.isGreedy { return filtered.argmax(dim: -1).itemInt() }
        return probabilities(filtered).multinomial(1, generator: slot.generator).itemInt()
    }

    /// The prompt's log-probabilities by one forward; false when the model cannot give them (the slot failed).
    private func scorePrompt(_ slot: Slot, alternatives: Int) -> Bool {
        let ids = slot.job.prompt
        let logits = model.forward(tensor(ids), targets: nil).logits                   // (1, T, V)
        guard logits.size(1) == ids.count else {
            fail(slot, APIError("this model predicts only its last position, so it cannot score the prompt's tokens (echo with logprobs)", param: "echo"))
            return false
        }
        slot.pendingLogits = logits.select(dim: 1, index: -1)                          // (1, V)
        guard ids.count > 1 else {
            slot.promptLogprobs = [nil]
            return true
        }
        let logProbs = logProbabilities(logits.squeeze(0).narrow(dim: 0, start: 0, length: ids.count - 1).to(.float32))
        slot.promptLogprobs = [nil] + scores(logProbs, tokens: Array(ids.dropFirst()), alternatives: alternatives)
        return true
    }

    /// For rows of log-probabilities (N, V) and one token per row: its log-probability and the top `alternatives`.
    private func scores(_ logProbs: Tensor, tokens: [Int], alternatives: Int) -> [TokenLogprob] {
        let rows = tokens.count
        let index = Tensor(tokens.map(Int64.init), shape: [rows, 1], device: logProbs.device)
        let chosen = logProbs.gather(dim: 1, index: index).toArray(Double.self)
        var top = Array(repeating: [TokenLogprob.Alternative](), count: rows)
        let k = min(alternatives, logProbs.size(-1))
        if k > 0 {
            let best = logProbs.topk(k)
            let values = best.values.toArray(Double.self), indices = best.indices.toArray(Int64.self)
            for r in 0..<rows {
                top[r] = (0..<k).map { TokenLogprob.Alternative(token: Int(indices[r * k + $0]), logprob: values[r * k + $0]) }
            }
        }
        return (0..<rows).map { TokenLogprob(token: tokens[$0], logprob: chosen[$0], top: top[$0]) }
    }

    // MARK: - Text out

    private func accept(_ slot: Slot, _ token: Int, _ scored: TokenLogprob?) {
        if slot.job.stopTokens.contains(token) {
            finish(slot, .stop)
            return
        }
        if let scored { slot.logprobs.append(scored) }
        slot.generated.append(token)
        slot.ids.append(token)
        let (text, stopped) = slot.stopText.add(slot.decoder.add(token))
        emit(slot, text)
        if stopped {
            complete(slot, .stop)
        } else if slot.generated.count >= slot.job.maxTokens {
            finish(slot, .length)
        }
    }

    /// Ends a slot whose text ends where it is: what the decoder and the stop check still hold is released.
    private func finish(_ slot: Slot, _ reason: FinishReason) {
        let (text, stopped) = slot.stopText.add(slot.decoder.finish())
        emit(slot, stopped ? text : text + slot.stopText.finish())
        complete(slot, stopped ? .stop : reason)
    }

    private func emit(_ slot: Slot, _ text: String) {
        guard !text.isEmpty else { return }
        slot.text += text
        slot.continuation.yield(.text(text))
    }

    private func complete(_ slot: Slot, _ reason: FinishReason) {
        let result = GenerationResult(text: slot.text, tokens: slot.generated, finishReason: reason,
                                      promptTokens: slot.job.prompt.count, promptLogprobs: slot.promptLogprobs,
                                      logprobs: slot.job.logprobs == nil ? nil : slot.logprobs)
        slot.continuation.yield(.finished(result))
        close(slot)
    }

    private func fail(_ slot: Slot, _ error: APIError) {
        slot.continuation.yield(.failed(error))
        close(slot)
    }

    private func close(_ slot: Slot) {
        slot.done = true
        slot.continuation.finish()
        load.update { $0.finished += 1 }
    }

    private func tensor(_ ids: [Int]) -> Tensor {
        Tensor(ids.map(Int64.init), shape: [1, ids.count], device: device)
    }
}

/// A request's state on the model's thread.
private final class Slot {
    let id: Int
    let job: GenerationJob
    let continuation: AsyncStream<GenerationEvent>.Continuation
    let generator: Generator
    /// Prompt and generated ids.
    var ids: [Int]
    var generated: [Int] = []
    /// Its row of the batched cache, once its sequence is there.
    var row: Int?
    /// The scoring forward's last position, used for the first token.
    var pendingLogits: Tensor?
    var decoder: StreamingDecoder
    var stopText: StopText
    var text = ""
    var promptLogprobs: [TokenLogprob?]?
    var logprobs: [TokenLogprob] = []
    /// Finished, failed or cancelled: dropped before the next turn.
    var done = false

    init(id: Int, job: GenerationJob, continuation: AsyncStream<GenerationEvent>.Continuation, generator: Generator,
         tokenizer: any Tokenizer) {
        self.id = id
        self.job = job
        self.continuation = continuation
        self.generator = generator
        self.ids = job.prompt
        self.decoder = StreamingDecoder(tokenizer)
        self.stopText = StopText(job.parameters.stop)
    }
}
