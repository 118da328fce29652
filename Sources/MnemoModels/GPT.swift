// GPT.swift — a port of nanoGPT's model.py (Karpathy): the GPT-2 architecture, read top to bottom.
//
// Token + position embeddings, n_layer pre-LayerNorm blocks (causal self-attention through libtorch's
// scaled_dot_product_attention, then a 4× GELU MLP), a final LayerNorm and a language-model head tied to the
// token embedding. Parameter names equal nanoGPT's state_dict keys (`transformer.h.0.attn.c_attn.weight`), so
// nanoGPT checkpoints load by name; Hugging Face GPT-2 weights load through `loadHuggingFaceGPT2`, which
// transposes their Conv1D weights.
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
    ])
    public static let defaults = GPTConfig(blockSize: 64, vocabSize: 0, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false)
    public var contextLength: Int { blockSize }
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
    func callAsFunction(_ x: Tensor, cache: KVCache? = nil, layer: Int = 0) -> Tensor {
        let (B, T, C) = (x.size(0), x.size(1), x.size(2))  // batch, sequence length, embedding (n_embd)
        // query, key, values for all heads, with the head moved forward to be the batch dim
        let qkv = c_attn(x).split(nEmbd, dim: 2)
        let q = qkv[0].view(B, T, nHead, C / nHead).transpose(1, 2)  // (B, nh, T, hs)
        var k = qkv[1].view(B, T, nHead, C / nHead).transpose(1, 2)  // (B, nh, T, hs)
        var v = qkv[2].view(B, T, nHead, C / nHead).transpose(1, 2)  // (B, nh, T, hs)
        if let cache { (k, v) = cache.append(layer: layer, k: k, v: v) }   // (B, nh, cached + T, hs)
        // causal self-attention: (B, nh, T, hs) x (B, nh, hs, T) -> (B, nh, T, T) -> (B, nh, T, hs); one new token
        // attends to every cached position, so it needs no mask
        let y = scaledDotProductAttention(query: q, key: k, value: v, dropout: training ? dropout : 0, isCausal: T > 1)
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

final class Block: Module {
    let ln_1: LayerNorm
    let attn: CausalSelfAttention
    let ln_2: LayerNorm
    let mlp: MLP

    init(_ config: GPTConfig) {
        ln_1 = LayerNorm(config.nEmbd, bias: config.bias)
        attn = CausalSelfAttention(config)
        ln_2 = LayerNorm(config.nEmbd, bias: config.bias)
        mlp = MLP(config)
        super.init()
    }

    func callAsFunction(_ x: Tensor, cache: KVCache? = nil, layer: Int = 0) -> Tensor {  // (B, T, C)
        let h = x + attn(ln_1(x), cache: cache, layer: layer)
        return h + mlp(ln_2(h))
    }
}

/// nanoGPT's `transformer` ModuleDict.
final class GPTTransformer: Module {
    let wte: Embedding   // token embeddings (vocab_size, n_embd)
    let wpe: Embedding   // position embeddings (block_size, n_embd)
    let drop: Dropout
    let h: [Block]
    let ln_f: LayerNorm

    init(_ config: GPTConfig) {
        wte = Embedding(config.vocabSize, config.nEmbd)
        wpe = Embedding(config.blockSize, config.nEmbd)
        drop = Dropout(config.dropout)
        h = (0..<config.nLayer).map { _ in Block(config) }
        ln_f = LayerNorm(config.nEmbd, bias: config.bias)
        super.init()
    }
}

public final class GPT: Module {
    public let config: GPTConfig
    let transformer: GPTTransformer
    let lm_head: Linear  // weight tied to transformer.wte.weight (https://paperswithcode.com/method/weight-tying)

    public init(_ config: GPTConfig) {
        precondition(config.problems().isEmpty, "GPTConfig: " + config.problems().joined(separator: "; "))
        self.config = config
        transformer = GPTTransformer(config)
        lm_head = Linear(weight: transformer.wte.weight)
        super.init()
        initializeWeights()
    }

    /// nanoGPT's init: every Linear and Embedding weight N(0, 0.02), biases zero, and the residual
    /// projections (c_proj) N(0, 0.02/√(2·n_layer)), per GPT-2.
    func initializeWeights() {
        for (name, p) in namedParameters() {
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
    }

    /// The language-model head's weight (vocab_size, n_embd), shared with the token embedding.
    public var headWeight: Tensor { lm_head.weight }

    /// Parameters, counting the tied head once; `nonEmbedding` subtracts the position embeddings, as nanoGPT
    /// reports (the token embedding is kept: it is the head's weight too).
    public func parameterCount(nonEmbedding: Bool = true) -> Int {
        parameterCount - (nonEmbedding ? transformer.wpe.weight.count : 0)
    }

    /// The final hidden states: idx (B, T) int64 → (B, T, n_embd), after ln_f. With `cache`, idx holds the positions
    /// after the cached ones (their keys and values join the cache).
    func hidden(_ idx: Tensor, cache: KVCache? = nil) -> Tensor {
        let t = idx.size(1), start = cache?.length ?? 0
        precondition(start + t <= config.blockSize, "Cannot forward sequence of length \(start + t), block size is only \(config.blockSize)")
        let pos = Tensor.arange(Double(start), Double(start + t), device: idx.device)   // (T)
        let tokEmb = transformer.wte(idx)                        // token embeddings (B, T, n_embd)
        let posEmb = transformer.wpe(pos)                        // position embeddings (T, n_embd)
        var x = transformer.drop(tokEmb + posEmb)
        for (i, block) in transformer.h.enumerated() { x = block(x, cache: cache, layer: i) }
        cache?.advance(by: t)
        return transformer.ln_f(x)
    }

    /// Logits for every position: idx (B, T) int64 → (B, T, vocab_size).
    public func callAsFunction(_ idx: Tensor) -> Tensor {
        lm_head(hidden(idx))                                     // (B, T, vocab_size)
    }

    /// Mean cross-entropy of next-token prediction; targets (B, T), -1 ignored.
    public func loss(_ idx: Tensor, targets: Tensor) -> Tensor {
        let logits = self(idx)
        return crossEntropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignoreIndex: -1)
    }
}

extension GPT: LanguageModel {
    public func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput { ModelOutput(logits: self(idx)) }

    /// The head on the last position only (nanoGPT's inference path): (B, vocab_size).
    public func lastLogits(_ idx: Tensor) -> Tensor {
        let x = hidden(idx)
        return lm_head(x.select(dim: 1, index: -1))              // (B, vocab_size)
    }

    public var contextLength: Int { config.blockSize }
    public var outputWeight: Tensor? { lm_head.weight }
}

extension GPT: IncrementalDecoding {
    public func makeCache() -> KVCache { KVCache(layers: config.nLayer) }

    public func decode(_ idx: Tensor, cache: KVCache) -> Tensor {
        lm_head(hidden(idx, cache: cache).select(dim: 1, index: -1))                     // (B, vocab_size)
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
