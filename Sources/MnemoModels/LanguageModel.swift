// LanguageModel.swift — what every model of Mnemo is to the trainer, the sampler and the evaluator.
//
// A model maps token ids (B, T) to a `ModelOutput`: logits aligned with the targets, named auxiliary losses (each
// with its weight; the trainer adds weight × value to the loss and logs each), and named scalar metrics (logged
// to metrics.jsonl and drawn by the report). It owns its optimizer groups (nanoGPT's configure_optimizers lives
// with the model), names the weight whose softmax the collapse diagnostics watch, and knows how long a context
// it reads. Generation is one shared implementation on top of `lastLogits`.
import Torch
import TorchNN

/// One forward pass.
public struct ModelOutput {
    /// (B, T', V) logits aligned with the targets (B, T'). Language models predict every position (T' = T); a
    /// model may predict fewer (the grokking models answer once, at the last position: T' = 1).
    public var logits: Tensor
    /// Extra terms of the training loss: loss = task loss + Σ weight · value. Each 0-d, with autograd.
    public var auxiliaryLosses: [AuxiliaryLoss] = []
    /// Scalars to log (0-d tensors; read at logging steps only, so the step need not synchronise).
    public var metrics: [String: Tensor] = [:]
    /// The task loss's weight in the objective (loss = taskWeight · task + Σ weight · auxiliary); the logged training
    /// loss stays the task loss. A looped GPT averaging its per-layer losses sets 1/n_layer.
    public var taskWeight: Double = 1
    /// A model asked for its fused loss (FusedLossModel) gives the mean softmax cross-entropy against the targets it
    /// was given here, computed from its hidden states in chunks (linearCrossEntropy), and `logits` is then empty.
    public var taskLoss: Tensor?

    public init(logits: Tensor, auxiliaryLosses: [AuxiliaryLoss] = [], metrics: [String: Tensor] = [:], taskWeight: Double = 1,
                taskLoss: Tensor? = nil) {
        self.logits = logits
        self.taskLoss = taskLoss
        self.auxiliaryLosses = auxiliaryLosses
        self.metrics = metrics
        self.taskWeight = taskWeight
    }
}

/// A model that can compute its softmax cross-entropy against the targets of `forward(_:targets:)` from its hidden
/// states in chunks of rows (Torch's linearCrossEntropy: the (B·T, V) logits never held whole) instead of returning
/// logits — the `fused` setting, for next-token training with the softmax loss.
public protocol FusedLossModel: AnyObject {
    var fusedLoss: Bool { get set }
    /// Why this configuration cannot fuse its loss (nil: it can).
    var fusedLossProblem: String? { get }
}

extension ModelOutput {
    /// What a FusedLossModel returns when asked for its fused loss: the loss, no logits.
    public static func fused(_ loss: Tensor) -> ModelOutput { ModelOutput(logits: Tensor.zeros([0]), taskLoss: loss) }
}

/// The fused head loss: mean cross-entropy of hidden states x (B, T, C) through the head's weight (V, C) against targets
/// (B, T), in chunks of rows (linearCrossEntropy).
func fusedHeadCrossEntropy(_ x: Tensor, head weight: Tensor, targets: Tensor) -> Tensor {
    linearCrossEntropy(x.reshape([-1, x.size(-1)]), weight: weight, targets: targets.reshape([-1]))
}

public struct AuxiliaryLoss {
    public var name: String
    public var weight: Double
    public var value: Tensor
    public init(_ name: String, weight: Double, _ value: Tensor) {
        self.name = name
        self.weight = weight
        self.value = value
    }
}

/// A named set of parameters with its own optimizer settings. `weightDecay` nil: the run's weight_decay;
/// `lrScale` multiplies the run's learning rate (e.g. a memory bank that learns faster or slower).
public struct ModelParameterGroup {
    public var name: String
    public var parameters: [(name: String, tensor: Tensor)]
    public var weightDecay: Double?
    public var lrScale: Double
    public init(name: String, parameters: [(name: String, tensor: Tensor)], weightDecay: Double? = nil, lrScale: Double = 1) {
        self.name = name
        self.parameters = parameters
        self.weightDecay = weightDecay
        self.lrScale = lrScale
    }
}

public protocol LanguageModel: Module {
    /// idx (B, T) int64 → logits (and, given targets, any auxiliary losses and metrics).
    func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput
    /// The logits of the last position only, (B, V): generation's step. A model should compute its head on
    /// the last position only (the default runs `forward` and selects it).
    func lastLogits(_ idx: Tensor) -> Tensor
    /// The longest context the model reads (generation crops to it; the trainer's windows have this length).
    var contextLength: Int { get }
    /// The output layer's weight, watched by the softmax-collapse diagnostics (nil: none to watch).
    var outputWeight: Tensor? { get }
    /// The optimizer's groups (default: nanoGPT's — weight decay on tensors of two or more dimensions only).
    func parameterGroups() -> [ModelParameterGroup]
    /// Parameters as the model reports them: `nonEmbedding` leaves out learned position embeddings, as nanoGPT does
    /// (the default, for models without them — RoPE, none —, counts every parameter either way).
    func parameterCount(nonEmbedding: Bool) -> Int
    /// State the model writes from its own batches outside the optimizer (a memory's contents), which data parallel
    /// would let drift apart between ranks: what it is, or nil when there is none (the default).
    var rankLocalState: String? { get }
}

extension LanguageModel {
    public func lastLogits(_ idx: Tensor) -> Tensor {
        forward(idx, targets: nil).logits.select(dim: 1, index: -1)     // (B, V)
    }

    public var outputWeight: Tensor? { nil }

    public var rankLocalState: String? { nil }

    public func parameterGroups() -> [ModelParameterGroup] { Self.decayGroups(namedParameters()) }

    /// A model without learned position embeddings: the same count either way.
    public func parameterCount(nonEmbedding: Bool) -> Int { parameterCount }

    /// nanoGPT's configure_optimizers: matmul weights and embeddings (≥ 2-D) decay, biases and norm gains do not.
    public static func decayGroups(_ named: [(name: String, tensor: Tensor)]) -> [ModelParameterGroup] {
        [ModelParameterGroup(name: "decay", parameters: named.filter { $0.tensor.ndim >= 2 }),
         ModelParameterGroup(name: "no_decay", parameters: named.filter { $0.tensor.ndim < 2 }, weightDecay: 0)]
    }

    /// Samples `maxNewTokens` continuations of idx (B, T) with temperature and top-k (nanoGPT's sample.py); see
    /// `generate(_:maxNewTokens:sampling:…)` for the rest.
    public func generate(_ idx: Tensor, maxNewTokens: Int, temperature: Double = 1, topK: Int? = nil,
                         generator: Generator? = nil, useCache: Bool = true,
                         probabilities: (Tensor) -> Tensor = { $0.softmax(dim: -1) }) -> Tensor {
        generate(idx, maxNewTokens: maxNewTokens, sampling: SamplingOptions(temperature: temperature, topK: topK),
                 generator: generator, useCache: useCache, probabilities: probabilities)
    }

    /// Samples up to `maxNewTokens` continuations of idx (B, T), feeding predictions back in, without gradients, and
    /// returns the whole sequences (B, T + n). The last position's logits go through `sampling`'s filters
    /// (Sampling.swift: repetition penalty, temperature, top-k, top-p) and `probabilities` turns them into the
    /// distribution a token is drawn from (softmax; StableMax for models trained with it). A row stops when its new
    /// tokens end with one of `sampling.stopSequences`; generation ends when every row has stopped. `onToken`
    /// receives each step's new tokens (B, 1) as they come (streaming). The context is cropped to `contextLength`;
    /// models that decode incrementally use their KV cache (`useCache`) while the sequence fits the context, and
    /// recompute cropped windows beyond it. `generator` must live on idx's device.
    public func generate(_ idx: Tensor, maxNewTokens: Int, sampling: SamplingOptions, generator: Generator? = nil,
                         useCache: Bool = true, probabilities: (Tensor) -> Tensor = { $0.softmax(dim: -1) },
                         onToken: ((Tensor) -> Void)? = nil) -> Tensor {
        var idx = idx
        let rows = idx.size(0)
        let stops = sampling.stopSequences
        var generated = Array(repeating: [Int](), count: rows)
        var stopped = Array(repeating: false, count: rows)
        var pads = Array(repeating: Int64(0), count: rows)
        withNoGrad {
            let cached = useCache ? (self as? any IncrementalDecoding).flatMap { $0.decodesIncrementally ? $0 : nil } : nil
            let cache = cached?.makeCache()
            for _ in 0..<maxNewTokens {
                let t = idx.size(1)
                let logits: Tensor
                if let cached, let cache, t <= contextLength {
                    // the prompt once, then only the newest token
                    logits = cached.decode(cache.length == 0 ? idx : idx.narrow(dim: 1, start: t - 1, length: 1), cache: cache)
                } else {
                    let context = t <= contextLength ? idx : idx.narrow(dim: 1, start: t - contextLength, length: contextLength)
                    logits = lastLogits(context)                                                 // (B, V)
                }
                let filtered = LogitsFilters.apply(sampling, to: logits, sequence: idx)
                var next = probabilities(filtered).multinomial(1, generator: generator)          // (B, 1)
                if !stops.isEmpty {
                    var values = next.toArray(Int64.self)
                    for r in 0..<rows {
                        if stopped[r] { values[r] = pads[r]; continue }
                        generated[r].append(Int(values[r]))
                        if let stop = stops.first(where: { generated[r].suffix($0.count).elementsEqual($0) }) {
                            stopped[r] = true
                            pads[r] = Int64(stop[stop.count - 1])
                        }
                    }
                    next = Tensor(values, shape: [rows, 1], device: idx.device)
                }
                idx = cat([idx, next], dim: 1)
                onToken?(next)
                if !stops.isEmpty && stopped.allSatisfy({ $0 }) { break }
            }
        }
        return idx
    }
}

/// A model with state that changes after optimizer steps (the memory bank's EMA, CortexGPT's consolidation). The
/// trainer calls it after each step, with the step that just ran; it returns named counts of what changed (rows
/// written), which the run logs summed over each interval between training lines.
public protocol OptimizerStepObserver: AnyObject {
    @discardableResult
    func afterOptimizerStep(step: Int) -> [String: Int]
}

/// A model that takes documents from a file its settings name before its first training step (the explicit memory
/// bank's rows: `memory_file`). The run reads the file as it reads training documents (a .jsonl of {"text": …} or a
/// text file, one document per line) and tokenizes each line with the run's tokenizer.
public protocol DocumentFilledModel: AnyObject {
    /// The setting that names the file and its path; nil when the model wants none.
    var documentFile: (setting: String, path: String)? { get }
    /// Takes the tokenized documents, in file order.
    func fill(withDocuments documents: [[Int]])
}

/// A model whose buffers may change shape during training (a growing memory): it takes the shapes of a state dict
/// before the dict is loaded into it (checkpoint resume, `mnemo sample RUN`).
public protocol StateDictPreparing: AnyObject {
    func prepare(forStateDict state: [String: Tensor])
}
