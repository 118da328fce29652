// GPT.swift — a port of nanoGPT's model.py (Karpathy): the GPT-2 architecture, read top to bottom.
//
// Token + position embeddings, n_layer pre-LayerNorm blocks (causal self-attention through libtorch's
// scaled_dot_product_attention, then a 4× GELU MLP), a final LayerNorm and a language-model head tied to the
// token embedding. Parameter names equal nanoGPT's state_dict keys (`transformer.h.0.attn.c_attn.weight`), so
// nanoGPT checkpoints load by name; Hugging Face GPT-2 weights load through `loadHuggingFaceGPT2`, which
// transposes their Conv1D weights.
//
// The looped-GPT options of the Vervious/gpt fork (build-nanogpt with all layers sharing one block) are options of
// this one model, each with a fixed definition (Looped.swift holds the per-layer losses and the early exit):
//   share_block        one Block's weights applied n_layer times (counted once); share_final_norm: ln_f is its ln_1
//   ln_affine = false  LayerNorms without weight and bias
//   residual           how a block adds its branches to the residual x (formulas in Block below)
//   layer_loss = all   a loss at every layer: lm_head(ln_f(x_i)) against the targets, summed (or averaged)
//   early_exit         per-token exit after layer i when a frozen look-ahead is confident (Looped.swift)
import Foundation
import Torch
import TorchNN

public struct GPTConfig: Codable, Sendable, Equatable {
    public var blockSize = 1024     // longest context
    public var vocabSize = 50304    // GPT-2's 50257 padded up to a multiple of 64 for speed
    public var nLayer = 12
    public var nHead = 12
    public var nEmbd = 768
    public var dropout = 0.0
    public var bias = true          // biases in Linears and LayerNorms (false: a bit better and faster)
    public var geluApproximate = false  // true: tanh GELU, as GPT-2 was trained ("gelu_new")
    // looped GPT (see the file header)
    public var shareBlock = false       // one block's weights for every layer
    public var shareFinalNorm = false   // share_block only: the final norm is the shared block's ln_1 (upstream)
    public var lnAffine = true          // false: LayerNorm without weight and bias
    public var residual = ResidualVariant.standard   // standard | parallel | attn_times_mlp | double_attn
    public var layerLoss = LayerLossRule.last       // last | all
    public var layerLossMean = false    // all: the mean of the layers' losses instead of their sum (upstream sums)
    public var earlyExit = EarlyExitRule.none       // none | confidence | threshold
    public var exitThreshold = 0.9      // threshold: exit when the look-ahead's top probability reaches it
    public var exitConfidenceWeight = 0.0  // weight of the confidence loss −log(1 − p′) (negative rewards confidence)
    // CortexGPT's dual-memory layers between blocks (keys cortex_*; CortexConfig.swift, CortexMemory.swift)
    public var cortex = CortexConfig()

    public init(blockSize: Int = 1024, vocabSize: Int = 50304, nLayer: Int = 12, nHead: Int = 12, nEmbd: Int = 768,
                dropout: Double = 0, bias: Bool = true, geluApproximate: Bool = false) {
        self.blockSize = blockSize
        self.vocabSize = vocabSize
        self.nLayer = nLayer
        self.nHead = nHead
        self.nEmbd = nEmbd
        self.dropout = dropout
        self.bias = bias
        self.geluApproximate = geluApproximate
    }

    enum CodingKeys: String, CodingKey {
        case blockSize = "block_size", vocabSize = "vocab_size", nLayer = "n_layer", nHead = "n_head", nEmbd = "n_embd"
        case dropout, bias, geluApproximate = "gelu_approximate"
        case shareBlock = "share_block", shareFinalNorm = "share_final_norm", lnAffine = "ln_affine", residual
        case layerLoss = "layer_loss", layerLossMean = "layer_loss_mean", earlyExit = "early_exit"
        case exitThreshold = "exit_threshold", exitConfidenceWeight = "exit_confidence_weight"
        case cortex
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GPTConfig()
        blockSize = try c.decodeIfPresent(Int.self, forKey: .blockSize) ?? d.blockSize
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        nLayer = try c.decodeIfPresent(Int.self, forKey: .nLayer) ?? d.nLayer
        nHead = try c.decodeIfPresent(Int.self, forKey: .nHead) ?? d.nHead
        nEmbd = try c.decodeIfPresent(Int.self, forKey: .nEmbd) ?? d.nEmbd
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? d.dropout
        bias = try c.decodeIfPresent(Bool.self, forKey: .bias) ?? d.bias
        geluApproximate = try c.decodeIfPresent(Bool.self, forKey: .geluApproximate) ?? d.geluApproximate
        shareBlock = try c.decodeIfPresent(Bool.self, forKey: .shareBlock) ?? d.shareBlock
        shareFinalNorm = try c.decodeIfPresent(Bool.self, forKey: .shareFinalNorm) ?? d.shareFinalNorm
        lnAffine = try c.decodeIfPresent(Bool.self, forKey: .lnAffine) ?? d.lnAffine
        residual = try c.decodeIfPresent(ResidualVariant.self, forKey: .residual) ?? d.residual
        layerLoss = try c.decodeIfPresent(LayerLossRule.self, forKey: .layerLoss) ?? d.layerLoss
        layerLossMean = try c.decodeIfPresent(Bool.self, forKey: .layerLossMean) ?? d.layerLossMean
        earlyExit = try c.decodeIfPresent(EarlyExitRule.self, forKey: .earlyExit) ?? d.earlyExit
        exitThreshold = try c.decodeIfPresent(Double.self, forKey: .exitThreshold) ?? d.exitThreshold
        exitConfidenceWeight = try c.decodeIfPresent(Double.self, forKey: .exitConfidenceWeight) ?? d.exitConfidenceWeight
        cortex = try c.decodeIfPresent(CortexConfig.self, forKey: .cortex) ?? d.cortex
    }

    /// Whether GPT2LMHeadModel computes this model's logits: no shared block, affine norms, the standard residual
    /// and no early exit (the all-layer loss changes training only).
    public var computesAsGPT2: Bool {
        !shareBlock && lnAffine && residual == .standard && earlyExit == .none && !cortex.isEnabled
    }

    /// Problems that make the configuration unusable, as messages that say what to fix.
    public func problems() -> [String] {
        var out: [String] = []
        if nHead > 0 && nEmbd % nHead != 0 { out.append("n_embd (\(nEmbd)) must be divisible by n_head (\(nHead))") }
        for (name, v) in [("block_size", blockSize), ("vocab_size", vocabSize), ("n_layer", nLayer), ("n_head", nHead),
                          ("n_embd", nEmbd)] where v <= 0 {
            out.append("\(name) must be positive, got \(v)")
        }
        if !(dropout >= 0 && dropout < 1) { out.append("dropout must be in [0, 1), got \(dropout)") }
        if shareFinalNorm && !shareBlock { out.append("share_final_norm needs share_block = true (it is the shared block's ln_1)") }
        if earlyExit != .none && layerLoss == .all {
            out.append("early_exit and layer_loss = \"all\" do not combine (early exit already trains each token at its exit layer); choose one")
        }
        if earlyExit == .threshold && !(exitThreshold > 0 && exitThreshold <= 1) {
            out.append("exit_threshold must be in (0, 1], got \(exitThreshold)")
        }
        if !exitConfidenceWeight.isFinite { out.append("exit_confidence_weight must be a finite number, got \(exitConfidenceWeight)") }
        out += cortex.problems(nLayer: nLayer, width: nEmbd)
        // 12·L·C² for the blocks, (V + T)·C for the embeddings, in floating point so no size can overflow
        let (l, c, v, t) = (Double(nLayer), Double(nEmbd), Double(vocabSize), Double(blockSize))
        let estimate = 12 * l * c * c + (v + t) * c
        if out.isEmpty && estimate > 1e11 { out.append("the model would have about \(estimate) parameters; n_layer, n_embd, vocab_size or block_size is too large") }
        return out
    }
}

extension GPTConfig: ModelConfiguration {
    /// nanoGPT's names. The defaults of a run file that sets nothing are nanoGPT's small char-level model
    /// (configs/shakespeare-char-cpu.toml); `GPTConfig()` itself is GPT-2 small.
    public static let schema = SettingsSchema<GPTConfig>([
        .int("n_layer", \.nLayer), .int("n_head", \.nHead), .int("n_embd", \.nEmbd), .int("block_size", \.blockSize),
        .int("vocab_size", \.vocabSize), .double("dropout", \.dropout), .bool("bias", \.bias),
        .bool("gelu_approximate", \.geluApproximate),
        .bool("share_block", \.shareBlock), .bool("share_final_norm", \.shareFinalNorm), .bool("ln_affine", \.lnAffine),
        .choice("residual", \.residual), .choice("layer_loss", \.layerLoss), .bool("layer_loss_mean", \.layerLossMean),
        .choice("early_exit", \.earlyExit), .double("exit_threshold", \.exitThreshold),
        .double("exit_confidence_weight", \.exitConfidenceWeight),
    ] + CortexConfig.fields(\.cortex))
    public static let defaults = GPTConfig(blockSize: 64, vocabSize: 0, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false)
    public static let tiny = GPTConfig(blockSize: 16, vocabSize: 0, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0, bias: true)
    public var contextLength: Int { blockSize }
    public static let contextLengthKey = "block_size"
}

final class CausalSelfAttention: Module {
    let c_attn: Linear   // key, query, value projections for all heads, in a batch
    let c_proj: Linear   // output projection
    let resid_dropout: Dropout
    let nHead: Int, nEmbd: Int, dropout: Double

    init(_ config: GPTConfig) {
        c_attn = Linear(config.nEmbd, 3 * config.nEmbd, bias: config.bias)
        c_proj = Linear(config.nEmbd, config.nEmbd, bias: config.bias)
        resid_dropout = Dropout(config.dropout)
        nHead = config.nHead
        nEmbd = config.nEmbd
        dropout = config.dropout
        super.init()
    }

    /// With `cache`, x holds the new positions only: their keys and values join the cached ones (layer `layer`).
    func callAsFunction(_ x: Tensor, cache: (any DecodingCache)? = nil, layer: Int = 0) -> Tensor {
        let (B, T, C) = (x.size(0), x.size(1), x.size(2))  // batch, sequence length, embedding (n_embd)
        // query, key, values for all heads, with the head moved forward to be the batch dim
        let qkv = c_attn(x).split(nEmbd, dim: 2)
        let q = qkv[0].view(B, T, nHead, C / nHead).transpose(1, 2)  // (B, nh, T, hs)
        var k = qkv[1].view(B, T, nHead, C / nHead).transpose(1, 2)  // (B, nh, T, hs)
        var v = qkv[2].view(B, T, nHead, C / nHead).transpose(1, 2)  // (B, nh, T, hs)
        var mask: Tensor?  // rows of a batched cache attend to their own positions only
        if let cache { (k, v, mask) = cache.store(layer: layer, k: k, v: v) }   // (B, nh, cached + T, hs)
        // causal self-attention: (B, nh, T, hs) x (B, nh, hs, T) -> (B, nh, T, T) -> (B, nh, T, hs); one new token
        // attends to every cached position, so it needs no causal mask
        let y = scaledDotProductAttention(query: q, key: k, value: v, mask: mask, dropout: training ? dropout : 0,
                                          isCausal: mask == nil && T > 1)
        let merged = y.transpose(1, 2).contiguous().view(B, T, C)  // re-assemble all head outputs side by side
        return resid_dropout(c_proj(merged))
    }
}

final class MLP: Module {
    let c_fc: Linear
    let c_proj: Linear
    let dropout: Dropout
    let geluApproximate: Bool

    init(_ config: GPTConfig) {
        c_fc = Linear(config.nEmbd, 4 * config.nEmbd, bias: config.bias)
        c_proj = Linear(4 * config.nEmbd, config.nEmbd, bias: config.bias)
        dropout = Dropout(config.dropout)
        geluApproximate = config.geluApproximate
        super.init()
    }

    func callAsFunction(_ x: Tensor) -> Tensor {  // (B, T, C)
        dropout(c_proj(c_fc(x).gelu(approximate: geluApproximate)))
    }
}

/// How a block adds its attention and MLP branches to the residual stream x (B, T, C).
/// Which loss a GPT trains: the last layer's (GPT-2) or every layer's (looped GPT).
public enum LayerLossRule: String, CaseIterable, Codable, Sendable {
    case last, all
}

/// When a token leaves the stack early: never, by a learned confidence, or when the look-ahead's top probability
/// reaches exit_threshold.
public enum EarlyExitRule: String, CaseIterable, Codable, Sendable {
    case none, confidence, threshold
}

public enum ResidualVariant: String, CaseIterable, Codable, Sendable {
    case standard          // h = x + attn(ln_1 x);                   out = h + mlp(ln_2 h)    (GPT-2)
    case parallel          // h = x + attn(ln_1 x);                   out = h + mlp(ln_2 x)    (the fork's "resmlp")
    case attnTimesMlp = "attn_times_mlp"   // out = x + attn(ln_1 x) · mlp(ln_2 x)   (the fork's "best yet")
    case doubleAttn = "double_attn"        // h = x · attn2(ln_1 x) + attn(ln_1 x); out = h + mlp(ln_2 h)
}

final class Block: Module {
    let ln_1: LayerNorm
    let attn: CausalSelfAttention
    let attn2: CausalSelfAttention?   // double_attn only: the gate multiplying the residual
    let ln_2: LayerNorm
    let mlp: MLP
    let residual: ResidualVariant
    let attn2CacheOffset: Int         // attn2's keys and values sit in KV-cache slots n_layer ..< 2·n_layer

    init(_ config: GPTConfig) {
        attn2CacheOffset = config.nLayer
        ln_1 = LayerNorm(config.nEmbd, affine: config.lnAffine, bias: config.bias)
        attn = CausalSelfAttention(config)
        residual = config.residual
        attn2 = residual == .doubleAttn ? CausalSelfAttention(config) : nil
        ln_2 = LayerNorm(config.nEmbd, affine: config.lnAffine, bias: config.bias)
        mlp = MLP(config)
        super.init()
    }

    /// `trace` (diagnostics) records the residual's size entering the block, after its first norm and between
    /// the two branches (`h`; the output for attn_times_mlp, which has no such point).
    func callAsFunction(_ x: Tensor, cache: (any DecodingCache)? = nil, layer: Int = 0, trace: ResidualTrace? = nil) -> Tensor {  // (B, T, C)
        let normed = ln_1(x)
        let h: Tensor
        switch residual {
        case .standard, .parallel:
            h = x + attn(normed, cache: cache, layer: layer)
        case .attnTimesMlp:
            h = x + attn(normed, cache: cache, layer: layer) * mlp(ln_2(x))
        case .doubleAttn:
            h = x * attn2!(normed, cache: cache, layer: layer + attn2CacheOffset) + attn(normed, cache: cache, layer: layer)
        }
        trace?.record(input: x, normed: normed, mid: h)
        switch residual {
        case .standard, .doubleAttn: return h + mlp(ln_2(h))
        case .parallel: return h + mlp(ln_2(x))
        case .attnTimesMlp: return h
        }
    }
}

/// nanoGPT's `transformer` ModuleDict.
final class GPTTransformer: Module {
    let wte: Embedding   // token embeddings (vocab_size, n_embd)
    let wpe: Embedding   // position embeddings (block_size, n_embd)
    let drop: Dropout
    let h: [Block]       // n_layer blocks, or the one shared block (share_block)
    let ln_f: LayerNorm? // nil with share_final_norm: the shared block's ln_1 is the final norm
    let cortex: [CortexMemoryLayer]   // CortexGPT's memory layers, one after each block of cortex_layers
    let cortexAfter: [Int: Int]       // block index → its memory layer

    init(_ config: GPTConfig) {
        wte = Embedding(config.vocabSize, config.nEmbd)
        wpe = Embedding(config.blockSize, config.nEmbd)
        drop = Dropout(config.dropout)
        h = (0..<(config.shareBlock ? 1 : config.nLayer)).map { _ in Block(config) }
        ln_f = config.shareFinalNorm ? nil : LayerNorm(config.nEmbd, affine: config.lnAffine, bias: config.bias)
        let memoryAfter = config.cortex.layerIndices
        cortex = memoryAfter.map { _ in CortexMemoryLayer(config.cortex, width: config.nEmbd) }
        cortexAfter = Dictionary(uniqueKeysWithValues: memoryAfter.enumerated().map { ($1, $0) })
        super.init()
    }

    /// The block applied at layer i (0 ..< n_layer).
    func block(_ i: Int) -> Block { h.count == 1 ? h[0] : h[i] }
    /// The final norm.
    var finalNorm: LayerNorm { ln_f ?? h[0].ln_1 }
}

public final class GPT: Module {
    public let config: GPTConfig
    let transformer: GPTTransformer
    let lm_head: Linear  // weight tied to transformer.wte.weight (https://paperswithcode.com/method/weight-tying)
    /// `fused = true`: forward with targets gives the cross-entropy from the hidden states in chunks, no logits.
    public var fusedLoss = false

    public init(_ config: GPTConfig) {
        precondition(config.problems().isEmpty, "GPTConfig: " + config.problems().joined(separator: "; "))
        self.config = config
        transformer = GPTTransformer(config)
        lm_head = Linear(weight: transformer.wte.weight)
        super.init()
        initializeWeights()
    }

    /// nanoGPT's init: every Linear and Embedding weight N(0, 0.02), biases zero, and the residual
    /// projections (c_proj) N(0, 0.02/√(2·n_layer)), per GPT-2 (a shared block too: it is applied n_layer times).
    func initializeWeights() {
        for (name, p) in namedParameters() where !name.hasPrefix("transformer.cortex.") {
            if name.hasSuffix("c_proj.weight") {
                Init.normal(p, std: 0.02 / (2.0 * Double(config.nLayer)).squareRoot())
            } else if name.hasSuffix(".bias") {
                Init.zeros(p)
            } else if name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name.hasSuffix("ln_f.weight") {
                Init.ones(p)
            } else {
                Init.normal(p, std: 0.02)
            }
        }
        for layer in transformer.cortex { layer.initializeWeights() }
    }

    /// The language-model head's weight (vocab_size, n_embd), shared with the token embedding.
    public var headWeight: Tensor { lm_head.weight }

    /// Parameters, counting the tied head once (and a shared block once); `nonEmbedding` subtracts the position
    /// embeddings, as nanoGPT reports (the token embedding is kept: it is the head's weight too).
    public func parameterCount(nonEmbedding: Bool = true) -> Int {
        parameterCount - (nonEmbedding ? transformer.wpe.weight.count : 0)
    }

    /// The residual stream after each layer: idx (B, T) int64 → n_layer tensors (B, T, n_embd), before the final
    /// norm. With `cache`, idx holds the positions after the cached ones (their keys and values join the cache).
    func residualStreams(_ idx: Tensor, cache: (any DecodingCache)? = nil, trace: ResidualTrace? = nil) -> [Tensor] {
        let t = idx.size(1), end = cache?.end(adding: t) ?? t
        precondition(end <= config.blockSize, "Cannot forward sequence of length \(end), block size is only \(config.blockSize)")
        let pos = cache?.positions(t, device: idx.device) ?? Tensor.arange(0, Double(t), device: idx.device)   // (T) or, batched, (B, T)
        let tokEmb = transformer.wte(idx)                        // token embeddings (B, T, n_embd)
        let posEmb = transformer.wpe(pos)                        // position embeddings (T, n_embd) or (B, T, n_embd)
        var x = transformer.drop(tokEmb + posEmb)
        var streams: [Tensor] = []
        streams.reserveCapacity(config.nLayer)
        for i in 0..<config.nLayer {
            x = transformer.block(i)(x, cache: cache, layer: i, trace: trace)
            if let m = transformer.cortexAfter[i] { x = transformer.cortex[m](x).out }   // CortexGPT's dual memory
            streams.append(x)
        }
        cache?.advance(by: t)
        trace?.recordOutput(x)
        return streams
    }

    /// The final hidden states (B, T, n_embd), after the final norm.
    func hidden(_ idx: Tensor, cache: (any DecodingCache)? = nil) -> Tensor {
        transformer.finalNorm(residualStreams(idx, cache: cache).last!)
    }

    /// The head on one layer's residual stream: (B, T, n_embd) → (B, T, vocab_size).
    func head(_ x: Tensor) -> Tensor { lm_head(transformer.finalNorm(x)) }

    /// Logits for every position: idx (B, T) int64 → (B, T, vocab_size) (with early exit, each token's exit-layer logits).
    public func callAsFunction(_ idx: Tensor) -> Tensor {
        forward(idx, targets: nil).logits
    }

    /// Mean cross-entropy of next-token prediction; targets (B, T), -1 ignored.
    public func loss(_ idx: Tensor, targets: Tensor) -> Tensor {
        let logits = self(idx)
        return crossEntropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignoreIndex: -1)
    }
}

extension GPT: LanguageModel {
    public func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput {
        let output: ModelOutput
        if config.earlyExit != .none { output = earlyExit(residualStreams(idx), targets: targets).output }
        else if config.layerLoss == .all { output = allLayerLoss(residualStreams(idx), targets: targets) }
        else if fusedLoss, let targets { output = .fused(fusedCrossEntropy(hidden(idx), targets)) }
        else { output = ModelOutput(logits: lm_head(hidden(idx))) }   // (B, T, vocab_size)
        return withMemoryTerms(output)
    }

    /// The head on the last position only (nanoGPT's inference path): (B, vocab_size).
    public func lastLogits(_ idx: Tensor) -> Tensor {
        if config.earlyExit != .none { return forward(idx, targets: nil).logits.select(dim: 1, index: -1) }
        let x = hidden(idx)
        return lm_head(x.select(dim: 1, index: -1))              // (B, vocab_size)
    }

    public var contextLength: Int { config.blockSize }
    public var outputWeight: Tensor? { lm_head.weight }
}

extension GPT: FusedLossModel {
    /// The head's cross-entropy of final hidden states x (B, T, n_embd) against targets (B, T), in chunks of rows.
    func fusedCrossEntropy(_ x: Tensor, _ targets: Tensor) -> Tensor {
        fusedHeadCrossEntropy(x, head: lm_head.weight, targets: targets)
    }

    public var fusedLossProblem: String? {
        if config.earlyExit != .none { return "early exit reads every layer's logits" }
        return lm_head.lora_A != nil ? "the head carries a LoRA adapter, whose output the fused loss would leave out" : nil
    }
}

extension GPT: IncrementalDecoding {
    public func makeCache() -> KVCache { KVCache(layers: config.nLayer * (config.residual == .doubleAttn ? 2 : 1)) }

    public func decode(_ idx: Tensor, cache: any DecodingCache) -> Tensor {
        lm_head(hidden(idx, cache: cache).select(dim: 1, index: -1))                     // (B, vocab_size)
    }

    /// Early exit decides per token from a look-ahead over the whole sequence, so generation recomputes it.
    /// Early exit and the memory layers (whose STM reads earlier positions of the layer's input) recompute.
    public var decodesIncrementally: Bool { config.earlyExit == .none && !config.cortex.isEnabled }
}

extension GPT: ResidualDiagnostics {
    public func residualStatistics(_ idx: Tensor) -> ResidualStatistics {
        let trace = ResidualTrace()
        withNoGrad { _ = residualStreams(idx, trace: trace) }
        return trace.statistics()
    }
}

extension GPT {
    /// Loads a Hugging Face GPT2LMHeadModel state dict: Conv1D weights (in, out) are transposed to Linear's
    /// (out, in), the causal-mask buffers are skipped, and the head is re-tied to the token embedding.
    public func loadHuggingFaceGPT2(_ hf: [String: Tensor]) throws {
        let conv1D = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
        var mapped: [String: Tensor] = [:]
        for (key, value) in hf {
            if key.hasSuffix(".attn.bias") || key.hasSuffix(".attn.masked_bias") { continue }  // causal masks
            if key == "lm_head.weight" { continue }                                             // tied to wte
            let name = key.hasPrefix("transformer.") ? key : "transformer." + key
            mapped[name] = conv1D.contains(where: { name.hasSuffix($0) }) ? value.T : value
        }
        mapped["lm_head.weight"] = mapped["transformer.wte.weight"]
        try load(stateDict: mapped)
    }
}
