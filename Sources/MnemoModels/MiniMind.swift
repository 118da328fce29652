// MiniMind.swift — MiniMind (jingyaogong/minimind), the small Llama-family LM, read top to bottom like its
// model.py: a pre-norm decoder with RMSNorm (in float32, cast back), rotary position embeddings (θ from the config,
// in MiniMind2's interleaved-pair layout or the rotate-half layout of Hugging Face Llama/Qwen2 and later MiniMind),
// grouped-query attention through causal SDPA, a SwiGLU feed-forward `down(silu(gate x) · up x)` — or MiniMind's
// mixture of experts — and a head tied to the token embedding (or not, as Qwen2-style checkpoints).
//
// Parameter names are Hugging Face Llama's (`model.layers.0.self_attn.q_proj.weight`, `mlp.gate_proj`, …), so
// Llama/Qwen2 folders load by name; MiniMind2's own names (`tok_embeddings`, `layers.0.attention.wq`,
// `feed_forward.w1`, …) are mapped by `MiniMind.hfName(fromMiniMind:)`.
//
// Shapes: B batch, T sequence, C = dim, H query heads, K key/value heads, D = C / H head size, F feed-forward width,
// E routed experts, k experts per token.
import Foundation
import Torch
import TorchNN

/// How RoPE pairs the features it rotates: neighbours (MiniMind2's complex form) or the two halves (Hugging Face).
public enum RopeLayout: String, CaseIterable, Codable, Sendable {
    case interleaved
    case rotateHalf = "rotate_half"
}

/// How RoPE's frequencies are stretched for contexts beyond the trained one (transformers' rope_type): none, every
/// frequency divided by the factor ("linear"), or Llama 3's rule ("llama3": long wavelengths divided by the factor,
/// short ones kept, the band between smoothly blended).
public enum RopeScaling: String, CaseIterable, Codable, Sendable {
    case none, linear, llama3
}

/// How the working memory layer mixes its candidate rows: a softmax mix, or the best one (straight-through).
public enum MemorySelection: String, CaseIterable, Codable, Sendable {
    case soft, top1
}

/// How the bank's rows reach the prediction: `embedding` — each layer fuses the mean of a row's token embeddings into
/// the residual stream (ExplicitLM; the readout every earlier arm used); `pointer` — that, plus a copy distribution at
/// the head: each of the last memory layer's k rows proposes the token that follows the query's recent tokens in
/// the row, mixed with the model's own distribution by a learned gate (pointer-generator; MemoryBank.swift,
/// `PointerReadout`). The model's logits are then log-probabilities of the mixture.
public enum MemoryReadout: String, CaseIterable, Codable, Sendable {
    case embedding, pointer
}

/// How a memory layer finds its candidate rows: product keys (√N keys per half), or, for small banks, exact top-k
/// cosine over every row, or a dense softmax over every row.
public enum MemoryRetrieval: String, CaseIterable, Codable, Sendable {
    case productKeys = "product_keys"
    case exact, dense
}

public struct MiniMindConfig: Sendable, Equatable {
    public var dim = 512
    public var nLayers = 8
    public var nHeads = 8
    public var nKVHeads = 2              // grouped-query attention: each key/value head serves nHeads / nKVHeads queries
    public var vocabSize = 6400          // 0: the tokenizer's
    public var hiddenDim = 0             // 0: MiniMind's rule, 4·dim·2/3 rounded up to a multiple of `multipleOf`
    public var multipleOf = 64
    public var normEps = 1e-5
    public var ropeTheta = 1e6
    public var ropeLayout = RopeLayout.interleaved   // interleaved (MiniMind2, Feb–Apr 2025) | rotate_half (HF Llama, Qwen2)
    public var ropeScaling = RopeScaling.none        // none | linear | llama3 (Llama 3.1+ folders)
    public var ropeScalingFactor = 1.0               // linear, llama3: the stretch (Llama 3.2: 32)
    public var ropeLowFreqFactor = 1.0               // llama3: wavelengths above original / this are divided by the factor
    public var ropeHighFreqFactor = 4.0              // llama3: wavelengths below original / this are kept
    public var ropeOriginalContext = 8192            // llama3: original_max_position_embeddings
    public var maxSeqLen = 512           // the longest context (the trainer's window)
    public var dropout = 0.0
    public var tieEmbeddings = true
    public var qkvBias = false           // Qwen2 has biases on q, k and v
    public var qkNorm = false            // Qwen3: RMSNorm over each head of q and k before RoPE (q_norm, k_norm)
    public var headDimSetting = 0        // head_dim: 0 = dim / n_heads; Qwen3 folders state it (it may differ)
    // mixture of experts (MiniMind2-MoE: 4 routed, top-2, 1 shared)
    public var useMoE = false
    public var nRoutedExperts = 4
    public var numExpertsPerTok = 2
    public var nSharedExperts = 1
    public var auxLossAlpha = 0.1
    public var seqAux = true             // the balance loss per sequence (MiniMind's default) or over the whole batch
    public var normTopkProb = true       // renormalise the k chosen probabilities to sum to 1
    // explicit memory bank (ExplicitLM; MemoryBank.swift): every layer's FFN becomes a lookup in one shared bank
    public var useMemory = false
    public var memoryRows = 4096         // N, a perfect square (√N keys per half); ExplicitLM: 1,048,576
    public var memoryLength = 8          // L token ids per row
    public var memoryKeyDim = 64         // dk, the product-key query width (two halves of dk/2)
    public var memoryCandidates = 8      // k rows per token after the product-key stage
    public var memoryFaithful = false    // true: ExplicitLM 1.4.10 as published (untrained keys, Gumbel τ = 1, token EMA)
    public var memorySelection = MemorySelection.soft  // working version: soft (softmax mix) | top1 (straight-through)
    public var memoryRetrieval = MemoryRetrieval.productKeys  // product_keys (√N keys per half) | exact (top-k cosine over every row) | dense (softmax over every row); the last two for small N
    public var memoryTau = 0.1           // working version: initial temperature of cos/τ (learned)
    public var memoryFreezeRatio = 0.2   // the first 20% of rows never change under the EMA
    public var memoryEMADecay = 0.9
    public var memoryEMAEvery = 0        // optimizer steps between EMA updates (0: no EMA)
    public var memorySimilarityWeight = 0.1
    public var memoryDiversityWeight = 0.05
    public var memoryBalanceLossCoef = 0.0    // usage balance of the keys (dense: rows); ExplicitLM 1.4.6's balance_loss_coef (0.1)
    public var memorySupervisionWeight = 0.0  // dense retrieval: CE toward the row that continues the text (MemoryBank.continuationRows)
    public var memorySupervisionContext = 3   // tokens of context that, with the next token, must stand in a row
    public var memoryPadId = 0
    public var memoryReadout = MemoryReadout.embedding  // embedding (ExplicitLM) | pointer (plus a gated copy distribution at the head)
    public var memoryPointerContext = 3       // pointer: how many of the query's last tokens a row is matched against
    public var memoryFile = ""          // rows from a .jsonl ({"text": …} per line), a text file (a row per line) or a .json
                                        // array (strings, {"text": …}, ExplicitLM's {"target": [{"sentence": …}]}), tokenized
    // CortexGPT's dual-memory layers between decoder layers (keys cortex_*; CortexConfig.swift, CortexMemory.swift)
    public var cortex = CortexConfig()

    public init() {}

    /// The feed-forward width: `hiddenDim`, or MiniMind's rule (1408 at dim 512).
    public var feedForwardDim: Int {
        if hiddenDim > 0 { return hiddenDim }
        let raw = 4 * dim * 2 / 3
        return multipleOf * ((raw + multipleOf - 1) / multipleOf)
    }
    public var headDim: Int { headDimSetting > 0 ? headDimSetting : dim / Swift.max(nHeads, 1) }

    public func problems() -> [String] {
        var out: [String] = []
        for (name, v) in [("dim", dim), ("n_layers", nLayers), ("n_heads", nHeads), ("n_kv_heads", nKVHeads),
                          ("vocab_size", vocabSize), ("multiple_of", multipleOf), ("max_seq_len", maxSeqLen)] where v <= 0 {
            out.append("\(name) must be positive, got \(v)")
        }
        if hiddenDim < 0 { out.append("hidden_dim must be 0 (MiniMind's rule) or positive, got \(hiddenDim)") }
        if headDimSetting < 0 { out.append("head_dim must be 0 (dim / n_heads) or positive, got \(headDimSetting)") }
        if headDimSetting == 0 && nHeads > 0 && dim % nHeads != 0 { out.append("dim (\(dim)) must be divisible by n_heads (\(nHeads)), or set head_dim") }
        if nHeads > 0 && nKVHeads > 0 && nHeads % nKVHeads != 0 { out.append("n_heads (\(nHeads)) must be a multiple of n_kv_heads (\(nKVHeads))") }
        if nHeads > 0 && headDim > 0 && headDim % 2 != 0 { out.append("the head size (\(headDim)) must be even for RoPE") }
        if !(normEps > 0 && normEps.isFinite) { out.append("norm_eps must be a finite number > 0, got \(normEps)") }
        if !(ropeTheta > 1 && ropeTheta.isFinite) { out.append("rope_theta must be a finite number > 1, got \(ropeTheta)") }
        if ropeScaling != .none && !(ropeScalingFactor.isFinite && ropeScalingFactor >= 1) {
            out.append("rope_scaling_factor must be a finite number ≥ 1, got \(ropeScalingFactor)")
        }
        if ropeScaling == .llama3 && !(ropeLowFreqFactor > 0 && ropeHighFreqFactor > ropeLowFreqFactor && ropeOriginalContext > 0) {
            out.append("llama3 rope scaling needs 0 < rope_low_freq_factor < rope_high_freq_factor and rope_original_max_position > 0")
        }
        if !(dropout >= 0 && dropout < 1) { out.append("dropout must be in [0, 1), got \(dropout)") }
        if useMemory {
            let root = Int(Double(memoryRows).squareRoot().rounded())
            if memoryRows <= 0 || root * root != memoryRows { out.append("memory_rows must be a perfect square (√N keys per half), got \(memoryRows)") }
            if memoryLength <= 0 { out.append("memory_length must be positive, got \(memoryLength)") }
            if memoryKeyDim <= 0 || memoryKeyDim % 2 != 0 { out.append("memory_key_dim must be positive and even, got \(memoryKeyDim)") }
            if !(2...Swift.max(root, 2)).contains(memoryCandidates) { out.append("memory_candidates must be in 2...√memory_rows (\(root)), got \(memoryCandidates)") }
            if memoryRetrieval != .productKeys && memoryFaithful { out.append("memory_faithful uses product keys (as ExplicitLM); memory_retrieval = \(memoryRetrieval.rawValue) is a working-version option") }
            if !(memoryTau > 0 && memoryTau.isFinite) { out.append("memory_tau must be a finite number > 0, got \(memoryTau)") }
            if !(memoryFreezeRatio >= 0 && memoryFreezeRatio <= 1) { out.append("memory_freeze_ratio must be in [0, 1], got \(memoryFreezeRatio)") }
            if !(memoryEMADecay >= 0 && memoryEMADecay < 1) { out.append("memory_ema_decay must be in [0, 1), got \(memoryEMADecay)") }
            if memoryEMAEvery < 0 { out.append("memory_ema_every must be 0 (off) or positive, got \(memoryEMAEvery)") }
            if useMoE { out.append("use_memory replaces the FFN that use_moe would route; choose one") }
            if !(memorySupervisionWeight >= 0 && memorySupervisionWeight.isFinite) {
                out.append("memory_supervision_weight must be a finite number ≥ 0, got \(memorySupervisionWeight)")
            }
            if !(memoryBalanceLossCoef >= 0 && memoryBalanceLossCoef.isFinite) {
                out.append("memory_balance_loss_coef must be a finite number ≥ 0, got \(memoryBalanceLossCoef)")
            }
            if memoryBalanceLossCoef > 0 && memoryRetrieval == .exact {
                out.append("memory_balance_loss_coef balances a distribution over keys or rows, which exact retrieval does not have: use product_keys or dense")
            }
            if memorySupervisionWeight > 0 && memoryRetrieval != .dense {
                out.append("memory_supervision_weight supervises the logits over every row: it needs memory_retrieval = \"dense\"")
            }
            if memoryReadout == .pointer && memoryFaithful { out.append("memory_readout = \"pointer\" is a working-version option; set memory_faithful = false") }
            if memoryPointerContext < 1 || memoryPointerContext >= memoryLength {
                out.append("memory_pointer_context must be in 1..<memory_length (\(memoryLength)), got \(memoryPointerContext)")
            }
            if memorySupervisionContext < 1 || memorySupervisionContext >= memoryLength {
                out.append("memory_supervision_context must be in 1..<memory_length (\(memoryLength)), got \(memorySupervisionContext)")
            }
        }
        if useMoE {
            if nRoutedExperts <= 0 { out.append("n_routed_experts must be positive, got \(nRoutedExperts)") }
            if !(1...Swift.max(nRoutedExperts, 1)).contains(numExpertsPerTok) {
                out.append("num_experts_per_tok must be in 1...n_routed_experts (\(nRoutedExperts)), got \(numExpertsPerTok)")
            }
            if nSharedExperts < 0 { out.append("n_shared_experts must be 0 or more, got \(nSharedExperts)") }
            if !(auxLossAlpha >= 0 && auxLossAlpha.isFinite) { out.append("aux_loss_alpha must be a finite number ≥ 0, got \(auxLossAlpha)") }
        }
        out += cortex.problems(nLayer: nLayers, width: dim)
        let (c, l, f, v) = (Double(dim), Double(nLayers), Double(Swift.max(hiddenDim, 4 * dim * 2 / 3)), Double(vocabSize))
        let experts = useMoE ? Double(nRoutedExperts + nSharedExperts) : 1
        if out.isEmpty && l * (4 * c * c + 3 * c * f * experts) + v * c > 1e11 {
            out.append("the model would be too large; lower dim, n_layers, hidden_dim, the experts or vocab_size")
        }
        return out
    }
}

extension MiniMindConfig: ModelConfiguration {
    /// MiniMind's LMConfig names.
    public static let schema = SettingsSchema<MiniMindConfig>([
        .int("dim", \.dim), .int("n_layers", \.nLayers), .int("n_heads", \.nHeads), .int("n_kv_heads", \.nKVHeads),
        .int("vocab_size", \.vocabSize), .int("hidden_dim", \.hiddenDim), .int("multiple_of", \.multipleOf),
        .double("norm_eps", \.normEps), .double("rope_theta", \.ropeTheta), .choice("rope_layout", \.ropeLayout),
        .choice("rope_scaling", \.ropeScaling), .double("rope_scaling_factor", \.ropeScalingFactor),
        .double("rope_low_freq_factor", \.ropeLowFreqFactor), .double("rope_high_freq_factor", \.ropeHighFreqFactor),
        .int("rope_original_max_position", \.ropeOriginalContext),
        .int("max_seq_len", \.maxSeqLen), .double("dropout", \.dropout), .bool("tie_embeddings", \.tieEmbeddings), .bool("qk_norm", \.qkNorm), .int("head_dim", \.headDimSetting),
        .bool("qkv_bias", \.qkvBias), .bool("use_moe", \.useMoE), .int("n_routed_experts", \.nRoutedExperts),
        .int("num_experts_per_tok", \.numExpertsPerTok), .int("n_shared_experts", \.nSharedExperts),
        .double("aux_loss_alpha", \.auxLossAlpha), .bool("seq_aux", \.seqAux), .bool("norm_topk_prob", \.normTopkProb),
        .bool("use_memory", \.useMemory), .int("memory_rows", \.memoryRows), .int("memory_length", \.memoryLength),
        .int("memory_key_dim", \.memoryKeyDim), .int("memory_candidates", \.memoryCandidates),
        .bool("memory_faithful", \.memoryFaithful), .choice("memory_selection", \.memorySelection),
        .choice("memory_retrieval", \.memoryRetrieval),
        .double("memory_tau", \.memoryTau), .double("memory_freeze_ratio", \.memoryFreezeRatio),
        .double("memory_ema_decay", \.memoryEMADecay), .int("memory_ema_every", \.memoryEMAEvery),
        .double("memory_similarity_weight", \.memorySimilarityWeight),
        .double("memory_diversity_weight", \.memoryDiversityWeight), .double("memory_balance_loss_coef", \.memoryBalanceLossCoef), .int("memory_pad_id", \.memoryPadId),
        .double("memory_supervision_weight", \.memorySupervisionWeight), .int("memory_supervision_context", \.memorySupervisionContext),
        .string("memory_file", \.memoryFile), .choice("memory_readout", \.memoryReadout),
        .int("memory_pointer_context", \.memoryPointerContext),
    ] + CortexConfig.fields(\.cortex))
    public static let defaults = MiniMindConfig()
    public static var tiny: MiniMindConfig {
        var c = MiniMindConfig()
        c.dim = 32; c.nLayers = 2; c.nHeads = 4; c.nKVHeads = 2; c.vocabSize = 0; c.maxSeqLen = 16
        return c
    }
    public var contextLength: Int { maxSeqLen }
    public static let contextLengthKey = "max_seq_len"
}

// MARK: layers

/// Rotary position embeddings: the cos/sin tables (T, D/2) for positions 0..<maxSeqLen, and their application.
final class RotaryEmbedding: Module {
    @Buffer(persistent: false) var cos = Tensor.zeros([0])     // (maxSeqLen, D/2)
    @Buffer(persistent: false) var sin = Tensor.zeros([0])     // (maxSeqLen, D/2)
    let interleaved: Bool

    init(headDim: Int, maxSeqLen: Int, theta: Double, interleaved: Bool, scaling: (kind: RopeScaling, factor: Double,
         low: Double, high: Double, original: Int) = (.none, 1, 1, 4, 8192)) {
        // freq_i = θ^(−2i/D), angle(t, i) = t · freq_i
        let exponents = Tensor.arange(0, Double(headDim), step: 2, dtype: .float64) / Double(headDim)   // (D/2)
        var frequencies = 1.0 / (theta ** exponents)
        switch scaling.kind {
        case .none: break
        case .linear: frequencies = frequencies / scaling.factor
        case .llama3:
            // wavelength λ = 2π/freq: λ > original/low → freq/factor; λ < original/high → freq; between, a blend
            // with s = (original/λ − low)/(high − low): (1 − s)·freq/factor + s·freq (transformers' llama3 rule)
            let original = Double(scaling.original)
            let wavelength = (2 * Double.pi) / frequencies
            let long = wavelength .> (original / scaling.low), short = wavelength .< (original / scaling.high)
            let smooth = (original / wavelength - scaling.low) / (scaling.high - scaling.low)
            let blended = (1 - smooth) * frequencies / scaling.factor + smooth * frequencies
            frequencies = `where`(long, frequencies / scaling.factor, `where`(short, frequencies, blended))
        }
        let angles = Tensor.arange(0, Double(maxSeqLen), dtype: .float64).unsqueeze(1) * frequencies.unsqueeze(0)
        cos = angles.cos().float()
        sin = angles.sin().float()
        self.interleaved = interleaved
        super.init()
    }

    /// x (B, heads, T, D) at positions 0..<T, or at `positions` ((T), or (B, T) per row) → rotated, same shape and
    /// dtype.
    func callAsFunction(_ x: Tensor, positions: Tensor? = nil) -> Tensor {
        let t = x.size(2), d = x.size(3)
        var c = cos.narrow(dim: 0, start: 0, length: t), s = sin.narrow(dim: 0, start: 0, length: t)   // (T, D/2)
        if let positions {
            c = cos.indexSelect(dim: 0, index: positions.view(-1)); s = sin.indexSelect(dim: 0, index: positions.view(-1))
            if positions.ndim == 2 {   // (B, 1, T, D/2): each row at its own positions
                c = c.view(positions.size(0), 1, t, d / 2); s = s.view(positions.size(0), 1, t, d / 2)
            }
        }
        (c, s) = (c.to(x.dtype), s.to(x.dtype))
        if interleaved {
            // pairs (2i, 2i+1) are complex numbers multiplied by e^{i·angle} (MiniMind2's view_as_complex)
            let pairs = x.reshape([x.size(0), x.size(1), t, d / 2, 2])
            let re = pairs.select(dim: -1, index: 0), im = pairs.select(dim: -1, index: 1)   // (B, h, T, D/2)
            return stack([re * c - im * s, re * s + im * c], dim: -1).reshape(x.shape)
        }
        // rotate-half: the first and second halves are the real and imaginary parts
        let first = x.narrow(dim: -1, start: 0, length: d / 2), second = x.narrow(dim: -1, start: d / 2, length: d / 2)
        return cat([first * c - second * s, second * c + first * s], dim: -1)
    }
}

final class MiniMindAttention: Module {
    let q_proj: Linear    // C → H·D
    let k_proj: Linear    // C → K·D
    let v_proj: Linear    // C → K·D
    let o_proj: Linear    // H·D → C
    let q_norm: RMSNorm?  // (D) Qwen3: each head of q normalised before RoPE
    let k_norm: RMSNorm?  // (D) and each head of k
    let resid_dropout: Dropout
    let nHeads: Int, nKVHeads: Int, headDim: Int, dropout: Double

    init(_ config: MiniMindConfig) {
        let (c, d) = (config.dim, config.headDim)
        q_proj = Linear(c, config.nHeads * d, bias: config.qkvBias)
        k_proj = Linear(c, config.nKVHeads * d, bias: config.qkvBias)
        v_proj = Linear(c, config.nKVHeads * d, bias: config.qkvBias)
        o_proj = Linear(config.nHeads * d, c, bias: false)
        q_norm = config.qkNorm ? RMSNorm(d, eps: config.normEps, upcast: true) : nil
        k_norm = config.qkNorm ? RMSNorm(d, eps: config.normEps, upcast: true) : nil
        resid_dropout = Dropout(config.dropout)
        (nHeads, nKVHeads, headDim, dropout) = (config.nHeads, config.nKVHeads, d, config.dropout)
        super.init()
    }

    /// With `cache`, x holds the new positions only (from cache.length on); their keys and values join the cache.
    func callAsFunction(_ x: Tensor, rope: RotaryEmbedding, cache: (any DecodingCache)? = nil, layer: Int = 0) -> Tensor {
        let (b, t) = (x.size(0), x.size(1))
        let positions = cache?.positions(t, device: x.device)                                  // (T) or (B, T)
        var q = q_proj(x).view(b, t, nHeads, headDim), k = k_proj(x).view(b, t, nKVHeads, headDim)   // (B, T, H|K, D)
        if let q_norm, let k_norm { (q, k) = (q_norm(q), k_norm(k)) }                           // Qwen3
        q = rope(q.transpose(1, 2), positions: positions)                                      // (B, H, T, D)
        k = rope(k.transpose(1, 2), positions: positions)                                      // (B, K, T, D)
        var v = v_proj(x).view(b, t, nKVHeads, headDim).transpose(1, 2)                       // (B, K, T, D)
        var mask: Tensor?   // rows of a batched cache attend to their own positions only
        if let cache { (k, v, mask) = cache.store(layer: layer, k: k, v: v) }                  // (B, K, cached + T, D)
        // each key/value head serves H / K query heads (MiniMind's repeat_kv), inside SDPA; one new token attends
        // to every cached position (no causal mask)
        let y = scaledDotProductAttention(query: q, key: k, value: v, mask: mask, dropout: training ? dropout : 0,
                                          isCausal: mask == nil && t > 1, enableGQA: nKVHeads != nHeads)   // (B, H, T, D)
        return resid_dropout(o_proj(y.transpose(1, 2).contiguous().view(b, t, nHeads * headDim)))
    }
}

/// SwiGLU: down(silu(gate x) · up x) — MiniMind's w2(silu(w1 x) · w3 x).
final class SwiGLU: Module {
    let gate_proj: Linear   // C → F  (w1)
    let up_proj: Linear     // C → F  (w3)
    let down_proj: Linear   // F → C  (w2)
    let dropout: Dropout

    init(dim: Int, hidden: Int, dropout: Double) {
        gate_proj = Linear(dim, hidden, bias: false)
        up_proj = Linear(dim, hidden, bias: false)
        down_proj = Linear(hidden, dim, bias: false)
        self.dropout = Dropout(dropout)
        super.init()
    }

    func callAsFunction(_ x: Tensor) -> Tensor {   // (…, C)
        dropout(down_proj(gate_proj(x).silu() * up_proj(x)))
    }
}

/// MiniMind's mixture of experts: a softmax gate routes each token to its top-k experts (probabilities renormalised),
/// shared experts see every token, and a balance loss α · Σ_e load_e · mean_t p_te keeps the experts in use.
/// Experts run once each on the tokens routed to them (sorted by expert and gathered), so the cost grows with k,
/// not with the number of experts.
final class MixtureOfExperts: Module {
    let gate: Linear              // C → E (no bias)
    let experts: [SwiGLU]
    let shared_experts: [SwiGLU]
    let config: MiniMindConfig
    /// What the last forward measured (in a holder: a stored tensor of a Module would count as a parameter).
    let last = Routing()

    final class Routing {
        /// The balance loss of the last training forward (0-d), nil in evaluation or with α = 0.
        var auxLoss: Tensor?
        /// The fraction of routed slots the busiest expert took (1/E is perfect balance).
        var maxLoad: Tensor?
    }

    init(_ config: MiniMindConfig) {
        let f = config.feedForwardDim
        gate = Linear(config.dim, config.nRoutedExperts, bias: false)
        experts = (0..<config.nRoutedExperts).map { _ in SwiGLU(dim: config.dim, hidden: f, dropout: config.dropout) }
        shared_experts = (0..<config.nSharedExperts).map { _ in SwiGLU(dim: config.dim, hidden: f, dropout: config.dropout) }
        self.config = config
        super.init()
    }

    func callAsFunction(_ x: Tensor) -> Tensor {   // (B, T, C)
        let (b, t, c) = (x.size(0), x.size(1), x.size(2))
        let k = config.numExpertsPerTok, e = config.nRoutedExperts
        let flat = x.reshape([b * t, c])                                               // (N, C)
        let scores = gate(flat).float().softmax(dim: -1)                               // (N, E)
        var (weights, chosen) = scores.topk(k, dim: -1, largest: true, sorted: false)  // (N, k) each
        if k > 1 && config.normTopkProb { weights = weights / (weights.sum(dim: -1, keepDim: true) + 1e-20) }

        // group the N·k (token, expert) slots by expert; each expert runs once on its tokens
        let slotExpert = chosen.reshape([-1])                                          // (N·k)
        let slotToken = Tensor.arange(b * t, device: x.device).unsqueeze(1).expand([b * t, k]).reshape([-1])
        let order = slotExpert.argsort(stable: true)                                   // slots sorted by expert
        let counts = slotExpert.bincount(minLength: e).to(.cpu).toArray(Int64.self)    // (E) on the host
        let slotWeight = weights.reshape([-1]).indexSelect(dim: 0, index: order)        // (N·k)
        let sortedTokens = slotToken.indexSelect(dim: 0, index: order)
        var out = Tensor.zeros([b * t, c], dtype: flat.dtype, device: x.device)
        var start = 0
        for (i, expert) in experts.enumerated() where counts[i] > 0 {
            let n = Int(counts[i])
            let tokens = sortedTokens.narrow(dim: 0, start: start, length: n)          // (n)
            let y = expert(flat.indexSelect(dim: 0, index: tokens))                    // (n, C)
            let w = slotWeight.narrow(dim: 0, start: start, length: n).unsqueeze(1).to(y.dtype)
            out = out.indexAdd(dim: 0, index: tokens, source: (y * w).to(out.dtype))   // bf16 under autocast
            start += n
        }
        var result = out.reshape([b, t, c])
        for shared in shared_experts { result = result + shared(x) }

        last.maxLoad = withNoGrad { Tensor(counts.map { Float($0) }).max() / Double(b * t * k) }
        last.auxLoss = nil
        if training && config.auxLossAlpha > 0 {
            if config.seqAux {
                // per sequence: load_e = (slots of e) / (T·k/E), against the mean probability of e over the sequence
                let load = Tensor.zeros([b, e], device: x.device)
                    .scatterAdd(dim: 1, index: chosen.reshape([b, t * k]), src: Tensor.ones([b, t * k], device: x.device))
                    / (Double(t * k) / Double(e))                                       // (B, E)
                let meanScore = scores.reshape([b, t, e]).mean(dim: 1)                  // (B, E)
                last.auxLoss = (load * meanScore).sum(dim: 1).mean() * config.auxLossAlpha
            } else {
                let load = chosen.reshape([-1]).oneHot(numClasses: e).float().mean(dim: 0) * Double(e)   // (E)
                last.auxLoss = (scores.mean(dim: 0) * load).sum() * config.auxLossAlpha
            }
        }
        return result
    }
}

final class MiniMindBlock: Module {
    let input_layernorm: RMSNorm
    let self_attn: MiniMindAttention
    let post_attention_layernorm: RMSNorm?   // nil with the memory bank (its query is the attention output's own norm)
    let mlp: Module?      // SwiGLU, or MixtureOfExperts; nil with the memory bank
    let memory: MemoryLayer?
    /// The memory layer's last forward (losses for the model's output), set during the forward.
    let memoryOutput = MemoryOutputHolder()

    init(_ config: MiniMindConfig, bank: MemoryBank? = nil) {
        input_layernorm = RMSNorm(config.dim, eps: config.normEps, upcast: true)
        self_attn = MiniMindAttention(config)
        if let bank {
            post_attention_layernorm = nil
            mlp = nil
            memory = MemoryLayer(config, bank: bank)
        } else {
            post_attention_layernorm = RMSNorm(config.dim, eps: config.normEps, upcast: true)
            mlp = config.useMoE ? MixtureOfExperts(config) : SwiGLU(dim: config.dim, hidden: config.feedForwardDim, dropout: config.dropout)
            memory = nil
        }
        super.init()
    }

    func callAsFunction(_ x: Tensor, rope: RotaryEmbedding, cache: (any DecodingCache)? = nil, layer: Int = 0,
                        trace: ResidualTrace? = nil, embedding: Tensor? = nil) -> Tensor {   // (B, T, C)
        let attentionInput = input_layernorm(x)
        let attention = self_attn(attentionInput, rope: rope, cache: cache, layer: layer)
        let h = x + attention
        trace?.record(input: x, normed: attentionInput, mid: h)
        if let memory, let embedding {
            // ExplicitLM: the FFN is replaced by the memory lookup queried with the attention output
            let result = memory(attention, embedding: embedding)
            memoryOutput.value = result
            return h + result.out
        }
        let normed = post_attention_layernorm!(h)
        let ffn = (mlp as? MixtureOfExperts).map { $0(normed) } ?? (mlp as! SwiGLU)(normed)   // swiftlint:disable:this force_cast
        return h + ffn
    }
}

/// Hugging Face's `model` (LlamaModel): embeddings, blocks, final norm.
final class MiniMindBody: Module {
    let embed_tokens: Embedding   // (V, C)
    let memory_bank: MemoryBank?  // the explicit memory bank shared by every layer (use_memory)
    let layers: [MiniMindBlock]
    let cortex: [CortexMemoryLayer]   // CortexGPT's memory layers, one after each decoder layer of cortex_layers
    let cortexAfter: [Int: Int]       // decoder layer index → its memory layer
    let norm: RMSNorm
    let rotary: RotaryEmbedding
    let dropout: Dropout

    init(_ config: MiniMindConfig, embedding: Embedding) {
        embed_tokens = embedding
        let bank = config.useMemory ? MemoryBank(config) : nil
        memory_bank = bank
        layers = (0..<config.nLayers).map { _ in MiniMindBlock(config, bank: bank) }
        let memoryAfter = config.cortex.layerIndices
        cortex = memoryAfter.map { _ in CortexMemoryLayer(config.cortex, width: config.dim) }
        cortexAfter = Dictionary(uniqueKeysWithValues: memoryAfter.enumerated().map { ($1, $0) })
        for layer in cortex { layer.initializeWeights() }   // the memory layer's own init (gate bias, scales, decay)
        norm = RMSNorm(config.dim, eps: config.normEps, upcast: true)
        rotary = RotaryEmbedding(headDim: config.headDim, maxSeqLen: config.maxSeqLen, theta: config.ropeTheta,
                                 interleaved: config.ropeLayout == .interleaved,
                                 scaling: (config.ropeScaling, config.ropeScalingFactor, config.ropeLowFreqFactor,
                                           config.ropeHighFreqFactor, config.ropeOriginalContext))
        dropout = Dropout(config.dropout)
        super.init()
    }
}

public final class MiniMind: Module, LanguageModel, IncrementalDecoding, ResidualDiagnostics, OptimizerStepObserver,
                              DocumentFilledModel {
    public let config: MiniMindConfig
    let model: MiniMindBody
    let lm_head: Linear   // (V, C); with tied embeddings the same tensor as model.embed_tokens.weight
    let pointer_gate: Linear?   // memory_readout = pointer: g = sigmoid(pointer_gate(h)), C → 1 with bias
    /// `fused = true`: forward with targets gives the cross-entropy from the hidden states in chunks, no logits.
    public var fusedLoss = false

    public init(_ config: MiniMindConfig) {
        precondition(config.problems().isEmpty, "MiniMindConfig: " + config.problems().joined(separator: "; "))
        self.config = config
        // No custom init, as MiniMind: Linear's kaiming-uniform; tied, the embedding shares the head's matrix.
        let head = Linear(config.dim, config.vocabSize, bias: false)
        let embedding = config.tieEmbeddings ? Embedding(weight: head.weight) : Embedding(config.vocabSize, config.dim)
        model = MiniMindBody(config, embedding: embedding)
        lm_head = head
        pointer_gate = config.useMemory && config.memoryReadout == .pointer ? Linear(config.dim, 1, bias: true) : nil
        super.init()
    }

    /// The head: logits (B, T, V), or with the pointer readout the log-probabilities of the mixture of the head's
    /// distribution and the last memory layer's copy distribution (PointerReadout): what the loss, evaluation and
    /// generation read.
    func head(_ h: Tensor, idx: Tensor) -> Tensor {
        let logits = lm_head(h)
        guard let pointer_gate, let bank = model.memory_bank, let last = model.layers.last?.memoryOutput.value else { return logits }
        let c = config.memoryPointerContext
        guard let rows = last.pointerRows else {
            // dense retrieval: every row, weighted by its softmax weight; only the rows that match propose
            let proposals = bank.pointerProposals(context: idx, vocabulary: logits.size(-1), matchLength: c)
            return PointerReadout.mix(logits: logits, gate: pointer_gate(h), weights: last.pointerWeights, proposals: proposals)
        }
        let (B, T, k) = (idx.size(0), idx.size(1), rows.size(-1))
        let tokens = bank.rows.indexSelect(dim: 0, index: rows.reshape(-1)).view([B, T, k, bank.length])   // (B, T, k, L)
        let (next, strength) = withNoGrad {
            PointerReadout.proposals(tokens: tokens, context: idx, pad: config.memoryPadId, matchLength: c)
        }
        return PointerReadout.mix(logits: logits, gate: pointer_gate(h), weights: last.pointerWeights, next: next, strength: strength)
    }

    /// Final hidden states: idx (B, T) → (B, T, C). With `cache`, idx holds the positions after the cached ones
    /// (their keys and values join the cache).
    func hidden(_ idx: Tensor, cache: (any DecodingCache)? = nil, trace: ResidualTrace? = nil) -> Tensor {
        let t = idx.size(1), end = cache?.end(adding: t) ?? t
        precondition(end <= config.maxSeqLen, "Cannot forward sequence of length \(end), max_seq_len is only \(config.maxSeqLen)")
        var x = model.dropout(model.embed_tokens(idx))                      // (B, T, C)
        let embedding = config.useMemory ? model.embed_tokens.weight : nil
        func layers() {
            for (i, layer) in model.layers.enumerated() {
                x = layer(x, rope: model.rotary, cache: cache, layer: i, trace: trace, embedding: embedding)
                if let m = model.cortexAfter[i] { x = model.cortex[m](x).out }   // CortexGPT's dual memory
            }
        }
        if let bank = model.memory_bank { bank.sharingDecodedRows(layers) } else { layers() }   // one decode of the bank
        cache?.advance(by: t)
        trace?.recordOutput(x)
        return model.norm(x)
    }

    public func residualStatistics(_ idx: Tensor) -> ResidualStatistics {
        let trace = ResidualTrace()
        withNoGrad { _ = hidden(idx, trace: trace) }
        return trace.statistics()
    }

    public func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput {
        let x = hidden(idx)                                                  // (B, T, C)
        var output: ModelOutput
        if fusedLoss, let targets {   // the head's cross-entropy in chunks: no (B·T, V) logits
            output = .fused(fusedHeadCrossEntropy(x, head: lm_head.weight, targets: targets))
        } else {
            output = ModelOutput(logits: head(x, idx: idx))                 // (B, T, V)
        }
        let moe = model.layers.compactMap { $0.mlp as? MixtureOfExperts }
        if !moe.isEmpty {
            let losses = moe.compactMap(\.last.auxLoss)
            if targets != nil, let first = losses.first {
                // MiniMind adds the layers' balance losses (α is inside each) to the cross-entropy
                output.auxiliaryLosses.append(AuxiliaryLoss("moe_aux_loss", weight: 1, losses.dropFirst().reduce(first, +)))
            }
            let loads = moe.compactMap(\.last.maxLoad)
            if let first = loads.first { output.metrics["moe_max_load"] = loads.dropFirst().reduce(first, +) / Double(loads.count) }
        }
        let memories = model.layers.compactMap(\.memoryOutput.value)
        if config.useMemory, targets != nil, let first = memories.first {
            // ExplicitLM averages each auxiliary loss over the layers
            let layers = Double(memories.count)
            let similarity = memories.dropFirst().reduce(first.similarityLoss) { $0 + $1.similarityLoss } / layers
            let diversity = memories.dropFirst().reduce(first.diversityLoss) { $0 + $1.diversityLoss } / layers
            output.auxiliaryLosses.append(AuxiliaryLoss("memory_similarity", weight: config.memorySimilarityWeight, similarity))
            output.auxiliaryLosses.append(AuxiliaryLoss("memory_diversity", weight: config.memoryDiversityWeight, diversity))
            let balances = memories.compactMap(\.balanceLoss)
            if let firstBalance = balances.first {
                output.auxiliaryLosses.append(AuxiliaryLoss("memory_balance", weight: config.memoryBalanceLossCoef,
                                                            balances.dropFirst().reduce(firstBalance, +) / Double(balances.count)))
            }
            if let tau = model.layers.first?.memory?.log_tau { output.metrics["memory_tau"] = tau.detached().exp() }
            if config.memorySupervisionWeight > 0, let targets, let bank = model.memory_bank {
                // supervised retrieval: each layer's logits over the rows, toward the row that continues the text
                let gold = bank.continuationRows(idx, targets: targets, context: config.memorySupervisionContext)   // (B, T)
                let flat = gold.reshape(-1), supervised = (flat .>= 0).float().sum()
                if supervised.item() > 0 {
                    let losses = memories.map { crossEntropy($0.logits.reshape([flat.size(0), -1]), flat, ignoreIndex: -1) }
                    output.auxiliaryLosses.append(AuxiliaryLoss("memory_retrieval", weight: config.memorySupervisionWeight,
                                                                losses.dropFirst().reduce(losses[0], +) / Double(losses.count)))
                    let hits = memories.map { m in
                        ((m.logits.detached().argmax(dim: -1).reshape(-1) .== flat).float().sum() / supervised)
                    }
                    output.metrics["memory_retrieval_acc"] = hits.dropFirst().reduce(hits[0], +) / Double(hits.count)
                }
            }
        }
        return CortexMemoryLayer.withTerms(output, layers: model.cortex, config: config.cortex)
    }

    public func lastLogits(_ idx: Tensor) -> Tensor {
        if pointer_gate != nil { return head(hidden(idx), idx: idx).select(dim: 1, index: -1) }   // the rows read the whole window
        return lm_head(hidden(idx).select(dim: 1, index: -1))                // (B, V)
    }

    /// The memory bank's EMA, every memory_ema_every optimizer steps, from what the last training forward selected
    /// in every layer (ExplicitLM concatenates the layers' choices): the rows it changed (`memory_rows_updated`, the
    /// coverage of the EMA); and CortexGPT's consolidation STM → LTM (`cortex_ltm_rows_written`).
    @discardableResult
    public func afterOptimizerStep(step: Int) -> [String: Int] {
        var counts: [String: Int] = [:]
        if !model.cortex.isEmpty { counts["cortex_ltm_rows_written"] = model.cortex.reduce(0) { $0 + $1.consolidate(step: step) } }
        if config.useMemory && config.memoryEMAEvery > 0 { counts["memory_rows_updated"] = memoryBankEMA(step: step) }
        return counts
    }

    func memoryBankEMA(step: Int) -> Int {
        guard config.useMemory, config.memoryEMAEvery > 0, (step + 1) % config.memoryEMAEvery == 0,
              let bank = model.memory_bank else { return 0 }
        let traces = model.layers.compactMap { $0.memory?.trace }.filter { $0.query != nil && $0.selectedRow != nil }
        guard !traces.isEmpty else { return 0 }
        return bank.exponentialMovingAverage(rows: cat(traces.map { $0.selectedRow! }), queries: cat(traces.map { $0.query! }),
                                             decay: config.memoryEMADecay, embedding: model.embed_tokens.weight,
                                             faithful: config.memoryFaithful)
    }

    /// The memory bank, for filling it and reading it back (nil without use_memory).
    public var memoryRows: Tensor? { model.memory_bank?.rows }

    /// Rows carrying a feature offset from the working EMA.
    public var memoryOffsetRows: Int { model.memory_bank?.touched.count ?? 0 }

    /// Whether row `r` carries a feature offset from the working EMA.
    public func memoryRowHasOffset(_ r: Int) -> Bool {
        guard let bank = model.memory_bank, bank.slot.count > 0 else { return false }
        return bank.slot.narrow(dim: 0, start: r, length: 1).itemInt() >= 0
    }

    /// The token embedding (V, d) the bank's rows are decoded through.
    public var tokenEmbedding: Tensor { model.embed_tokens.weight }

    /// Row `r` as the model reads it: the mean of its tokens' embeddings (pads left out) plus its feature offset. (d)
    public func memoryFeature(row r: Int) -> Tensor? {
        model.memory_bank.map { bank in withNoGrad { bank.decode(Tensor([Int64(r)], shape: [1]), embedding: tokenEmbedding).view(-1) } }
    }

    /// Writes token-id rows into the bank from row `start` on (each truncated or padded to memory_length).
    public func fillMemory(_ rows: [[Int]], from start: Int = 0) { model.memory_bank?.fill(rows, from: start) }

    /// The bank's rows from `memory_file`, before the first step (so the first checkpoint holds them).
    public var documentFile: (setting: String, path: String)? {
        config.useMemory && !config.memoryFile.isEmpty ? ("memory_file", config.memoryFile) : nil
    }
    public func fill(withDocuments documents: [[Int]]) { fillMemory(documents) }

    /// Per layer, the candidate rows (B, T, k) of the last forward.
    public var memoryCandidates: [Tensor] { model.layers.compactMap { $0.memory?.trace.candidates } }
    /// Per layer, the selected row (the largest weight) of each token (B·T) in the last forward.
    public var memorySelected: [Tensor] { model.layers.compactMap { $0.memory?.trace.selectedRow } }

    public var contextLength: Int { config.maxSeqLen }
    public var outputWeight: Tensor? { lm_head.weight }

    /// The CortexGPT memories and the memory bank's EMA are written from each process's own batches.
    public var rankLocalState: String? {
        if config.cortex.isEnabled { return "CortexGPT memories (STM counts, LTM contents)" }
        return config.useMemory && config.memoryEMAEvery > 0 ? "memory bank (its EMA)" : nil
    }

    public func makeCache() -> KVCache { KVCache(layers: config.nLayers) }

    /// The memory layers' STM reads earlier positions of the layer's input, which a KV cache does not keep: recompute.
    /// The pointer readout matches the rows against the last tokens of the sequence, which one new token does not hold.
    public var decodesIncrementally: Bool { !config.cortex.isEnabled && pointer_gate == nil }

    public func decode(_ idx: Tensor, cache: any DecodingCache) -> Tensor {
        lm_head(hidden(idx, cache: cache).select(dim: 1, index: -1))         // (B, V)
    }

    /// MiniMind2's own state-dict names → the Hugging Face names this model uses (nil: not a MiniMind2 name).
    public static func hfName(fromMiniMind name: String) -> String? {
        let rules: [(String, String)] = [
            ("tok_embeddings.", "model.embed_tokens."), ("norm.", "model.norm."), ("output.", "lm_head."),
            (".attention.wq.", ".self_attn.q_proj."), (".attention.wk.", ".self_attn.k_proj."),
            (".attention.wv.", ".self_attn.v_proj."), (".attention.wo.", ".self_attn.o_proj."),
            (".attention_norm.", ".input_layernorm."), (".ffn_norm.", ".post_attention_layernorm."),
            (".feed_forward.w1.", ".mlp.gate_proj."), (".feed_forward.w3.", ".mlp.up_proj."),
            (".feed_forward.w2.", ".mlp.down_proj."), (".feed_forward.", ".mlp."),
            (".w1.", ".gate_proj."), (".w3.", ".up_proj."), (".w2.", ".down_proj."),
        ]
        var out = name
        if out.hasPrefix("layers.") { out = "model." + out }
        var changed = out != name
        for (old, new) in rules {
            if old.hasPrefix(".") ? out.contains(old) : out.hasPrefix(old) {
                out = old.hasPrefix(".") ? out.replacingOccurrences(of: old, with: new) : new + out.dropFirst(old.count)
                changed = true
            }
        }
        return changed ? out : nil
    }
}

extension MiniMind: FusedLossModel {
    public var fusedLossProblem: String? {
        if pointer_gate != nil { return "the pointer readout mixes a copy distribution into the head's" }
        return lm_head.lora_A != nil ? "the head carries a LoRA adapter, whose output the fused loss would leave out" : nil
    }
}

extension MiniMind: StateDictPreparing {
    /// An unbounded CortexGPT LTM grows: take the checkpoint's capacity before its state dict is loaded.
    /// The memory bank's feature offsets cover the rows its EMA has touched so far: take the checkpoint's too.
    public func prepare(forStateDict state: [String: Tensor]) {
        CortexMemoryLayer.prepare(model.cortex, prefix: "model.cortex", forStateDict: state)
        model.memory_bank?.prepare(forStateDict: state, prefix: "model.memory_bank.")
    }

    /// Forgets every CortexGPT memory layer's short-term memory (a new document); the LTM stays.
    public func resetShortTermMemory() { for layer in model.cortex { layer.resetShortTerm() } }
}
