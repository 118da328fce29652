// CortexConfig.swift — the settings of CortexGPT's dual-memory layer (CortexMemory.swift), keys `cortex_*` of a GPT.
//
// Defaults are the stability document's full toolkit (shared/research/cortexgpt.md §5): StabilizedMemoryGate,
// differentiable Gumbel sparsity at 15 % along the features of each token, gradual consolidation, memory/output
// LayerNorm with learnable scales, bounded buffers, and StabilizedLoss's three regularisers. The legacy and the
// upstream-unified behaviour are the other values of the same keys (the study's arms A and B name them).
import Foundation

/// How the memory layer mixes current, STM and LTM vectors.
public enum CortexGate: String, CaseIterable, Codable, Sendable {
    case stabilized     // StabilizedMemoryGate: bias [0.5, 0.3, 0.2], learned temperature ≥ 0.1
    case softmax        // the legacy softmax gate
}

/// Which features of each token the memory layer keeps (the setting).
public enum CortexSparsity: String, CaseIterable, Codable, Sendable {
    case none, gumbel, hard
}

/// The sparsity a layer applies: the setting, or upstream's selection along batch × time when faithful.
public enum AppliedSparsity: String, Sendable {
    case none, gumbel, hard, tokens
}

/// How STM rows move into the LTM after optimizer steps.
public enum CortexConsolidation: String, CaseIterable, Codable, Sendable {
    case gradual, random, none
}

public struct CortexConfig: Codable, Sendable, Equatable {
    public var layers: [Int] = []           // []: no memory layer; [1] or [0, 2]: a layer after each of these blocks
    // short-term memory: a ring of the S most recent positions of each sequence
    public var stmSlots = 32                // S (the attention window, in positions)
    public var stmDecay = 0.99              // λ at init: logit bias (t − s)·ln λ, λ learned
    public var stmCarry = false             // the ring carries over to the next chunk of the same sequences (streaming)
    // long-term memory: a ring of compressed vectors shared across the corpus
    public var ltmSlots = 1024              // L
    public var ltmDim = 32                  // compressed width d_c
    public var ltmTopK = 5                  // k nearest (squared L2), weighted 1/(d + 1e-6)
    public var ltmBounded = true            // false: the LTM grows (capacity doubles) instead of overwriting its oldest rows
    // the mix
    public var gate = CortexGate.stabilized // stabilized (bias [0.5, 0.3, 0.2], learned temperature ≥ 0.1) | softmax (legacy)
    public var memoryNorm = true            // LayerNorm on each retrieval, learnable scales [3], output LayerNorm (document §4)
    public var sparsity = CortexSparsity.gumbel  // none | gumbel (soft top-k in training, hard at evaluation) | hard
    public var sparsityTarget = 0.15        // fraction of features kept per token
    public var residualWeight = 0.0         // > 0: out = x + w·mask·mix (upstream unified model, w = 0.1)
    public var stopGradient = false         // retrievals detached (upstream unified model: STM/LTM modules never train)
    // consolidation STM → LTM, after optimizer steps
    public var consolidation = CortexConsolidation.gradual  // gradual (every N steps, count·importance ≥ θ) | random (legacy) | none
    public var consolidateEvery = 50        // gradual: every N optimizer steps
    public var consolidateThreshold = 3     // θ: accesses (argmax of a query) a row needs
    public var consolidateMax = 256         // rows moved per call at most
    public var consolidateGate = false      // also require σ(gate([x, x])) > 0.5 (the document's gate; it gets no gradient)
    public var consolidateProbability = 0.1 // random: chance per optimizer step
    // upstream's behaviour where it differs (non-causal): one STM shared by the batch and kept across batches,
    // sparsity along batch × time (Gumbel softmax over tokens at τ = 0.5, hard top-k at evaluation), random consolidation
    public var faithful = false
    // StabilizedLoss's regularisers (weights; 0 leaves one out)
    public var gateSmoothnessWeight = 0.1   // mean (g_t+1 − g_t)² along time
    public var gateEntropyWeight = 0.05     // 2 − H(g) (the document's constant push toward higher gate entropy)
    public var sparsityWeight = 0.1         // (mean mask − target)²

    public init() {}

    enum CodingKeys: String, CodingKey {
        case layers, stmSlots, stmDecay, stmCarry, ltmSlots, ltmDim, ltmTopK, ltmBounded, gate, memoryNorm, sparsity
        case sparsityTarget, residualWeight, stopGradient, consolidation, consolidateEvery, consolidateThreshold
        case consolidateMax, consolidateGate, consolidateProbability, faithful, gateSmoothnessWeight
        case gateEntropyWeight, sparsityWeight
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<CortexConfig, T>) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { self[keyPath: path] = v }
        }
        try read(.layers, \.layers); try read(.stmSlots, \.stmSlots); try read(.stmDecay, \.stmDecay)
        try read(.stmCarry, \.stmCarry); try read(.ltmSlots, \.ltmSlots); try read(.ltmDim, \.ltmDim)
        try read(.ltmTopK, \.ltmTopK); try read(.ltmBounded, \.ltmBounded); try read(.gate, \.gate)
        try read(.memoryNorm, \.memoryNorm); try read(.sparsity, \.sparsity); try read(.sparsityTarget, \.sparsityTarget)
        try read(.residualWeight, \.residualWeight); try read(.stopGradient, \.stopGradient)
        try read(.consolidation, \.consolidation); try read(.consolidateEvery, \.consolidateEvery)
        try read(.consolidateThreshold, \.consolidateThreshold); try read(.consolidateMax, \.consolidateMax)
        try read(.consolidateGate, \.consolidateGate); try read(.consolidateProbability, \.consolidateProbability)
        try read(.faithful, \.faithful); try read(.gateSmoothnessWeight, \.gateSmoothnessWeight)
        try read(.gateEntropyWeight, \.gateEntropyWeight); try read(.sparsityWeight, \.sparsityWeight)
    }

    /// The blocks a memory layer follows, in order (empty: none).
    public var layerIndices: [Int] { layers }
    public var isEnabled: Bool { !layers.isEmpty }

    /// The sparsity actually applied: faithful turns any sparsity into upstream's token-axis selection.
    public var effectiveSparsity: AppliedSparsity {
        faithful && sparsity != .none ? .tokens : AppliedSparsity(rawValue: sparsity.rawValue)!
    }
    /// The consolidation actually applied: faithful consolidates at random, as upstream.
    public var effectiveConsolidation: CortexConsolidation { faithful && consolidation != .none ? .random : consolidation }

    /// The `cortex_*` keys of a GPT run file, as (key, path-in-CortexConfig) pairs.
    static func fields<Root>(_ root: WritableKeyPath<Root, CortexConfig>) -> [SettingField<Root>] {
        [.ints("cortex_layers", root.appending(path: \.layers)),
         .int("cortex_stm_slots", root.appending(path: \.stmSlots)),
         .double("cortex_stm_decay", root.appending(path: \.stmDecay)),
         .bool("cortex_stm_carry", root.appending(path: \.stmCarry)),
         .int("cortex_ltm_slots", root.appending(path: \.ltmSlots)),
         .int("cortex_ltm_dim", root.appending(path: \.ltmDim)),
         .int("cortex_ltm_top_k", root.appending(path: \.ltmTopK)),
         .bool("cortex_ltm_bounded", root.appending(path: \.ltmBounded)),
         .choice("cortex_gate", root.appending(path: \.gate)),
         .bool("cortex_memory_norm", root.appending(path: \.memoryNorm)),
         .choice("cortex_sparsity", root.appending(path: \.sparsity)),
         .double("cortex_sparsity_target", root.appending(path: \.sparsityTarget)),
         .double("cortex_residual_weight", root.appending(path: \.residualWeight)),
         .bool("cortex_stop_gradient", root.appending(path: \.stopGradient)),
         .choice("cortex_consolidation", root.appending(path: \.consolidation)),
         .int("cortex_consolidate_every", root.appending(path: \.consolidateEvery)),
         .int("cortex_consolidate_threshold", root.appending(path: \.consolidateThreshold)),
         .int("cortex_consolidate_max", root.appending(path: \.consolidateMax)),
         .bool("cortex_consolidate_gate", root.appending(path: \.consolidateGate)),
         .double("cortex_consolidate_probability", root.appending(path: \.consolidateProbability)),
         .bool("cortex_faithful", root.appending(path: \.faithful)),
         .double("cortex_gate_smoothness_weight", root.appending(path: \.gateSmoothnessWeight)),
         .double("cortex_gate_entropy_weight", root.appending(path: \.gateEntropyWeight)),
         .double("cortex_sparsity_weight", root.appending(path: \.sparsityWeight))]
    }

    /// Problems, as messages that say what to fix; `nLayer`/`width` are the host model's.
    public func problems(nLayer: Int, width: Int) -> [String] {
        guard !layers.isEmpty else { return [] }
        var out: [String] = []
        if layers.contains(where: { $0 < 0 || $0 >= nLayer }) || Set(layers).count != layers.count {
            out.append("cortex_layers must list distinct block indices in 0..<\(nLayer), got \(layers)")
        }
        if width % 4 != 0 { out.append("the memory layer compresses n_embd to n_embd/4: n_embd (\(width)) must be divisible by 4") }
        for (key, value) in [("cortex_stm_slots", stmSlots), ("cortex_ltm_slots", ltmSlots), ("cortex_ltm_dim", ltmDim),
                             ("cortex_ltm_top_k", ltmTopK), ("cortex_consolidate_every", consolidateEvery),
                             ("cortex_consolidate_max", consolidateMax)] where value <= 0 {
            out.append("\(key) must be positive, got \(value)")
        }
        if !(stmDecay > 0 && stmDecay < 1) { out.append("cortex_stm_decay must be in (0, 1), got \(stmDecay)") }
        if !(sparsityTarget > 0 && sparsityTarget <= 1) { out.append("cortex_sparsity_target must be in (0, 1], got \(sparsityTarget)") }
        if !(residualWeight >= 0 && residualWeight.isFinite) { out.append("cortex_residual_weight must be ≥ 0, got \(residualWeight)") }
        if !(consolidateProbability >= 0 && consolidateProbability <= 1) {
            out.append("cortex_consolidate_probability must be in [0, 1], got \(consolidateProbability)")
        }
        for (key, value) in [("cortex_gate_smoothness_weight", gateSmoothnessWeight), ("cortex_gate_entropy_weight", gateEntropyWeight),
                             ("cortex_sparsity_weight", sparsityWeight)] where !(value >= 0 && value.isFinite) {
            out.append("\(key) must be a finite number ≥ 0, got \(value)")
        }
        return out
    }
}
