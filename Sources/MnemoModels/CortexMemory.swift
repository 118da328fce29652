// CortexMemory.swift — CortexGPT's dual memory as one layer between transformer blocks, causal and batched.
//
// The CortexGPT repository (comsa33/brain-inspired-gpt; shared/research/cortexgpt.md) loops over tokens and attends
// to a deque of earlier vectors shared by the whole batch; its stability document proposes a gate, a sparse
// activation, gradual consolidation, norms and a loss that exist only in markdown. This layer is what the document
// describes, as tensor operations (B batch, T positions, C width, S STM slots, L LTM slots, d_c compressed width):
//
//   STM   the S most recent positions of each sequence (a ring carried across chunks with stm_carry): attention from
//         x_t to earlier x_s, 0 < t − s ≤ S, logits q·k/√C + (t − s)·ln λ (the repository's decay-and-renormalise,
//         as a log-bias); values are the raw vectors; access counts = how often a row was a query's argmax
//   LTM   L compressed vectors (compress: C → C/2 → C/4 → d_c with GELU and LayerNorm), shared by every sequence:
//         k nearest by squared L2 (IndexFlatL2 as a matmul + top-k, in chunks for large L), weights 1/(d + 1e-6)
//         normalised, each decompressed back to C; written only by consolidation (after optimizer steps)
//   gate  g = softmax((W[c; m_stm; m_ltm] + b)/max(τ, 0.1)) (stabilized; b from [0.5, 0.3, 0.2]) or softmax(W[…])
//         (legacy); mix = c + g₁(m_stm − c) + g₂(m_ltm − c)
//   sparse activation   mask over the features of each token: soft top-k σ(10(s̃ − θ)) of Gumbel-perturbed scores
//         in training, hard top-k at evaluation (or hard in both)
//   out   x + mask ⊙ (mix − x)  (or x + w·mask ⊙ mix, upstream's residual_weight); memory_norm: LN(out + x)
//
// `faithful` keeps upstream's non-causal choices for the comparison arm: one STM shared by the batch (each query sees
// every sequence's last S/B positions) and kept across batches, and selection along batch × time.
import Foundation
import Torch
import TorchNN

/// The STM ring of the last forward: per sequence (B, S, …), or one shared ring (1, S, …) in faithful mode.
struct ShortTermRing {
    var x: Tensor           // (N, S, C) raw vectors (detached): keys go through stm_key, values are the vectors
    var position: Tensor    // (N, S) int64 absolute positions
    var valid: Tensor       // (N, S) bool
    var count: Tensor       // (N, S) float: times a row was a query's argmax
    var importance: Tensor  // (N, S) float: 1 when written, halved when consolidated
    var next: Int           // the position the next chunk starts at
}

/// One forward's internals: the tests compare them with PyTorch; the model turns them into losses and metrics.
struct CortexOutput {
    var out: Tensor                 // (B, T, C)
    var stm: Tensor, conf: Tensor   // (B, T, C), (B, T)
    var stmFill: Tensor             // 0-d: mean number of STM rows a query may read, / S
    var ltm: Tensor                 // (B, T, C)
    var ltmTopWeight: Tensor?       // (B, T) largest LTM weight (nil: LTM empty)
    var gate: Tensor                // (B, T, 3): current, STM, LTM
    var mask: Tensor?               // (B, T, C) or (B, T, 1) faithful; nil without sparsity
    var gateSmoothness: Tensor, gateEntropy: Tensor
    var sparsity: Tensor?
}

/// Holds the last output (not module state).
final class CortexOutputHolder { var value: CortexOutput? }

final class CortexMemoryLayer: Module {
    let config: CortexConfig
    let width: Int
    // STM
    let stm_query: Linear, stm_key: Linear
    let stm_decay: Tensor                        // (1): ln λ = −softplus(stm_decay)
    // LTM
    let compress_1: Linear, compress_norm_1: LayerNorm, compress_2: Linear, compress_norm_2: LayerNorm, compress_3: Linear
    let decompress_1: Linear, decompress_norm_1: LayerNorm, decompress_2: Linear, decompress_norm_2: LayerNorm, decompress_3: Linear
    @Buffer var ltm_memory: Tensor               // (L, d_c)
    @Buffer var ltm_valid: Tensor                // (L) bool
    @Buffer var ltm_pointer: Tensor              // (1) int64: the next row to write
    // gate
    let gate: Linear                             // 3C → 3 (bias only in the legacy softmax gate)
    let gate_bias: Tensor?, gate_temperature: Tensor?
    // memory_norm (document §4)
    let stm_norm: LayerNorm?, ltm_norm: LayerNorm?, output_norm: LayerNorm?
    let memory_scale: Tensor?                    // (3): current, STM, LTM
    // sparse activation
    let importance: Linear?                      // C → C (per feature) or C → 1 (faithful: per token)
    let sparsity_temperature: Tensor?
    // consolidation
    let consolidate_gate: Linear?                // 2C → 1, no gradient ever reaches it (as in the document)

    var ring: ShortTermRing?
    let last = CortexOutputHolder()
    /// The LTM search's distance matrix is computed in chunks of rows of about this many elements.
    var distanceChunkElements = 1 << 24
    /// Knock-outs for measuring what a memory contributes: a disabled memory retrieves zeros (as an empty one).
    var shortTermDisabled = false, longTermDisabled = false

    init(_ config: CortexConfig, width c: Int) {
        self.config = config
        width = c
        let dc = config.ltmDim
        stm_query = Linear(c, c, bias: false)
        stm_key = Linear(c, c, bias: false)
        stm_decay = Tensor.full([1], Self.decayParameter(config.stmDecay)).requiringGrad()
        compress_1 = Linear(c, c / 2); compress_norm_1 = LayerNorm(c / 2)
        compress_2 = Linear(c / 2, c / 4); compress_norm_2 = LayerNorm(c / 4)
        compress_3 = Linear(c / 4, dc)
        decompress_1 = Linear(dc, c / 4); decompress_norm_1 = LayerNorm(c / 4)
        decompress_2 = Linear(c / 4, c / 2); decompress_norm_2 = LayerNorm(c / 2)
        decompress_3 = Linear(c / 2, c)
        ltm_memory = Tensor.zeros([config.ltmSlots, dc])
        ltm_valid = Tensor.zeros([config.ltmSlots], dtype: .bool)
        ltm_pointer = Tensor.zeros([1], dtype: .int64)
        let stabilized = config.gate == .stabilized
        gate = Linear(3 * c, 3, bias: !stabilized)
        gate_bias = stabilized ? Tensor([0.5, 0.3, 0.2] as [Float], shape: [3]).requiringGrad() : nil
        gate_temperature = stabilized ? Tensor.ones([1]).requiringGrad() : nil
        stm_norm = config.memoryNorm ? LayerNorm(c) : nil
        ltm_norm = config.memoryNorm ? LayerNorm(c) : nil
        output_norm = config.memoryNorm ? LayerNorm(c) : nil
        memory_scale = config.memoryNorm ? Tensor.ones([3]).requiringGrad() : nil
        switch config.effectiveSparsity {
        case .gumbel, .hard: importance = Linear(c, c)
        case .tokens: importance = Linear(c, 1)
        case .none: importance = nil
        }
        sparsity_temperature = config.effectiveSparsity == .gumbel ? Tensor.ones([1]).requiringGrad() : nil
        consolidate_gate = config.consolidateGate ? Linear(2 * c, 1) : nil
        super.init()
    }

    /// softplus⁻¹(−ln λ): the parameter whose ln λ = −softplus(·) is ln `decay`.
    static func decayParameter(_ decay: Double) -> Double { Foundation.log(Foundation.expm1(-Foundation.log(decay))) }

    /// GPT-style initialisation of the layer's own parameters: Linear weights N(0, 0.02), biases 0, norms 1/0;
    /// gate bias [0.5, 0.3, 0.2], temperatures and scales 1, decay λ from the config.
    func initializeWeights() {
        withNoGrad {
            for (name, p) in namedParameters() {
                if name == "stm_decay" { p.fill_(Self.decayParameter(config.stmDecay)) }
                else if name == "gate_bias" { p.copy_(Tensor([0.5, 0.3, 0.2] as [Float], shape: [3])) }
                else if name == "gate_temperature" || name == "sparsity_temperature" || name == "memory_scale" { p.fill_(1.0) }
                else if name.contains("norm") { name.hasSuffix(".weight") ? p.fill_(1.0) : p.zero_() }
                else if name.hasSuffix(".bias") { p.zero_() }
                else { Init.normal(p, std: 0.02) }
            }
        }
    }

    func compress(_ z: Tensor) -> Tensor {
        compress_3(compress_norm_2(compress_2(compress_norm_1(compress_1(z).gelu())).gelu()))
    }

    func decompress(_ z: Tensor) -> Tensor {
        decompress_3(decompress_norm_2(decompress_2(decompress_norm_1(decompress_1(z).gelu())).gelu()))
    }

    var sharedRing: Bool { config.faithful }

    // MARK: forward

    /// x (B, T, C) → the layer's output and internals. `gumbel`: the sparsity noise (drawn when nil);
    /// `ring`: the STM state to read (default: the carried ring, if any).
    func callAsFunction(_ x: Tensor, gumbel: Tensor? = nil) -> CortexOutput {
        let (B, T) = (x.size(0), x.size(1))
        // STM
        let carried = (config.stmCarry || sharedRing) ? ring.flatMap { $0.x.size(0) == (sharedRing ? 1 : B) ? $0 : nil } : nil
        let start = carried?.next ?? 0
        var (stm, conf, stmFill, newRing) = shortTerm(x, carried: carried, start: start, keep: training || config.stmCarry)
        if let newRing { ring = newRing }
        if shortTermDisabled { (stm, conf) = (Tensor.zeros(like: stm), Tensor.zeros(like: conf)) }
        // LTM
        var (ltm, topWeight) = longTerm(compress(x))
        if longTermDisabled { (ltm, topWeight) = (Tensor.zeros(like: ltm), nil) }
        var mStm = stm, mLtm = ltm
        if config.stopGradient { mStm = mStm.detached(); mLtm = mLtm.detached() }
        var c = x
        if let stm_norm, let ltm_norm, let memory_scale {
            mStm = stm_norm(mStm) * memory_scale.select(dim: 0, index: 1)
            mLtm = ltm_norm(mLtm) * memory_scale.select(dim: 0, index: 2)
            c = x * memory_scale.select(dim: 0, index: 0)
        }
        // gate
        var z = gate(cat([c, mStm, mLtm], dim: -1))                                           // (B, T, 3)
        if let gate_bias, let gate_temperature { z = (z + gate_bias) / gate_temperature.clamp(min: 0.1) }
        let g = z.softmax(dim: -1)
        let mixed = c + g.narrow(dim: -1, start: 1, length: 1) * (mStm - c) + g.narrow(dim: -1, start: 2, length: 1) * (mLtm - c)
        // sparse activation and output
        let mask = sparsityMask(x, noise: gumbel)
        var out: Tensor
        if config.residualWeight > 0 {
            out = x + (mask.map { $0 * mixed } ?? mixed) * config.residualWeight
        } else {
            out = mask.map { x + $0 * (mixed - x) } ?? mixed
        }
        if let output_norm { out = output_norm(out + x) }
        // regularisers (StabilizedLoss)
        let smoothness = T > 1 ? (g.narrow(dim: 1, start: 1, length: T - 1) - g.narrow(dim: 1, start: 0, length: T - 1)).square().mean()
                               : Tensor.zeros([], device: x.device)
        let entropy = 2.0 - (-(g * (g + 1e-8).log()).mean())
        let sparsityPenalty = mask.map { ($0.mean() - config.sparsityTarget).square() }
        let output = CortexOutput(out: out, stm: stm, conf: conf, stmFill: stmFill, ltm: ltm, ltmTopWeight: topWeight, gate: g, mask: mask,
                                  gateSmoothness: smoothness, gateEntropy: entropy, sparsity: sparsityPenalty)
        last.value = output
        return output
    }

    /// Attention over the ring and the earlier positions of the chunk (one masked softmax, no per-token loop).
    /// Returns stm (B, T, C), conf (B, T), the fill (rows read per query / S) and, with `keep`, the ring to keep (the
    /// S most recent positions with their counts; evaluation without stm_carry keeps none and skips the bookkeeping).
    func shortTerm(_ x: Tensor, carried: ShortTermRing?, start: Int, keep: Bool) -> (Tensor, Tensor, Tensor, ShortTermRing?) {
        let (B, T, C) = (x.size(0), x.size(1), x.size(2)), S = config.stmSlots
        let device = x.device
        // the shared ring (faithful) reads the batch as one time-major sequence of T·B rows
        let rows = sharedRing ? x.transpose(0, 1).reshape([1, T * B, C]) : x                 // (N, R, C)
        let n = rows.size(0), r = rows.size(1)
        let chunkPosition = sharedRing
            ? (Tensor.arange(Double(start), Double(start + T), device: device).unsqueeze(1).expand([T, B]).reshape([1, T * B]))
            : Tensor.arange(Double(start), Double(start + T), device: device).unsqueeze(0).expand([B, T])   // (N, R) int64
        let empty = ShortTermRing(x: Tensor.zeros([n, 0, C], device: device), position: Tensor.zeros([n, 0], dtype: .int64, device: device),
                                  valid: Tensor.zeros([n, 0], dtype: .bool, device: device),
                                  count: Tensor.zeros([n, 0], device: device), importance: Tensor.zeros([n, 0], device: device), next: 0)
        let old = carried ?? empty
        let keysRaw = cat([old.x, rows], dim: 1)                                                 // (N, K, C)
        let keyPosition = cat([old.position, chunkPosition], dim: 1)                             // (N, K)
        let keyValid = cat([old.valid, Tensor.ones([n, r], dtype: .bool, device: device)], dim: 1)
        let window = sharedRing ? Swift.max(1, S / B) : S
        let gap = chunkPosition.unsqueeze(-1) - keyPosition.unsqueeze(-2)                      // (N, R, K)
        let allowed = keyValid.unsqueeze(-2) && (gap .> 0) && (gap .<= window)
        let lnDecay = -stm_decay.softplus()
        let q = stm_query(rows), k = stm_key(keysRaw)
        let logits = q.matmul(k.T) / Double(C).squareRoot() + gap.float() * lnDecay           // (N, R, K)
        let any = allowed.any(dims: [-1], keepDim: true)                                       // (N, R, 1)
        let safe = `where`(any, logits.maskedFill(allowed.logicalNot(), -Double.infinity), 0.0)
        let a = safe.softmax(dim: -1) * any.float()                                            // rows with no key: 0
        var stm = a.matmul(keysRaw)                                                            // (N, R, C)
        var conf = a.amax(dims: [-1])                                                          // (N, R)
        if sharedRing {
            stm = stm.reshape([T, B, C]).transpose(0, 1)                                       // back to (B, T, C)
            conf = conf.reshape([T, B]).transpose(0, 1)
        }
        let fill = allowed.float().sum(dims: [-1]).mean().detached() / Double(S)
        guard keep else { return (stm, conf, fill, nil) }
        // the ring to keep: access counts from this chunk's argmaxes, then the S most recent rows
        let hits = Tensor.zeros([n, keysRaw.size(1)], device: device)
            .scatterAdd(dim: 1, index: a.detached().argmax(dim: -1), src: any.squeeze(-1).float())
        let count = cat([old.count, Tensor.zeros([n, r], device: device)], dim: 1) + hits
        let importance = cat([old.importance, Tensor.ones([n, r], device: device)], dim: 1)
        let kept = Swift.min(S, keysRaw.size(1)), from = keysRaw.size(1) - kept
        let newRing = ShortTermRing(x: keysRaw.narrow(dim: 1, start: from, length: kept).detached(),
                                    position: keyPosition.narrow(dim: 1, start: from, length: kept),
                                    valid: keyValid.narrow(dim: 1, start: from, length: kept),
                                    count: count.narrow(dim: 1, start: from, length: kept),
                                    importance: importance.narrow(dim: 1, start: from, length: kept), next: start + T)
        return (stm, conf, fill, newRing)
    }

    /// The k nearest LTM rows of each query (squared L2 over the valid rows), weighted 1/(d + 1e-6), decompressed.
    /// qc (B, T, d_c) → (B, T, C) and the largest weight (nil when the LTM is empty).
    func longTerm(_ qc: Tensor) -> (Tensor, Tensor?) {
        let (B, T) = (qc.size(0), qc.size(1))
        let rows = ltm_valid.nonzero().reshape([-1])                                           // (Lv)
        let filled = rows.size(0)
        guard filled > 0 else { return (Tensor.zeros([B, T, width], device: qc.device), nil) }
        let k = Swift.min(config.ltmTopK, filled)
        let flat = qc.reshape([B * T, -1])                                                     // (Q, d_c)
        let queryNorm = flat.square().sum(dims: [-1], keepDim: true)                           // (Q, 1)
        // chunks of rows so that the (Q, rows) distance matrix stays near distanceChunkElements (2^24)
        let chunk = Swift.max(k, distanceChunkElements / Swift.max(B * T, 1))
        var bestD: [Tensor] = [], bestRow: [Tensor] = []
        var at = 0
        while at < filled {
            let part = rows.narrow(dim: 0, start: at, length: Swift.min(chunk, filled - at))
            let memory = ltm_memory.indexSelect(dim: 0, index: part)                           // (P, d_c)
            let d = (queryNorm - 2 * flat.matmul(memory.T) + memory.square().sum(dims: [-1]).unsqueeze(0)).clamp(min: 0)
            let top = d.topk(Swift.min(k, part.size(0)), dim: -1, largest: false)
            bestD.append(top.values)
            bestRow.append(part.indexSelect(dim: 0, index: top.indices.reshape([-1])).view(top.indices.shape))
            at += part.size(0)
        }
        var d = bestD[0], row = bestRow[0]
        if bestD.count > 1 {
            let allD = cat(bestD, dim: -1), allRow = cat(bestRow, dim: -1)
            let top = allD.topk(k, dim: -1, largest: false)
            d = top.values
            row = allRow.gather(dim: -1, index: top.indices)
        }
        var w = 1.0 / (d + 1e-6)                                                               // (Q, k)
        w = w / w.sum(dims: [-1], keepDim: true)
        let values = decompress(ltm_memory.indexSelect(dim: 0, index: row.reshape([-1]))).view([B * T, k, width])
        let ltm = (w.unsqueeze(-1) * values).sum(dims: [1]).view([B, T, width])
        return (ltm, w.amax(dims: [-1]).view([B, T]).detached())
    }

    /// The sparse activation's mask: nil (none), (B, T, C) along features, or (B, T, 1) along batch × time (faithful).
    func sparsityMask(_ x: Tensor, noise: Tensor?) -> Tensor? {
        guard let importance else { return nil }
        let s = importance(x)
        func gumbelNoise() -> Tensor {
            noise ?? -(-(Tensor.rand(s.shape, device: s.device) + 1e-8).log() + 1e-8).log()
        }
        func hardTopK(_ scores: Tensor, _ k: Int) -> Tensor {
            let index = scores.detached().topk(k, dim: -1).indices
            return Tensor.zeros(like: scores).scatter(dim: -1, index: index, src: Tensor.ones(like: index).float())
        }
        switch config.effectiveSparsity {
        case .tokens:
            let flat = s.reshape([-1])                                                         // (B·T)
            if training { return ((flat + gumbelNoise().reshape([-1])) / 0.5).softmax(dim: 0).view(s.shape) }
            return hardTopK(flat, Swift.max(1, Int(Double(flat.size(0)) * config.sparsityTarget))).view(s.shape)
        default:
            let k = Swift.max(1, Int(Double(width) * config.sparsityTarget))
            guard training, config.effectiveSparsity == .gumbel, let sparsity_temperature else { return hardTopK(s, k) }
            let scaled = (s + gumbelNoise()) / sparsity_temperature.clamp(min: 0.1)
            let theta = scaled.topk(k, dim: -1).values.amin(dims: [-1], keepDim: true)
            return (10 * (scaled - theta)).sigmoid()
        }
    }

    // MARK: consolidation

    /// Moves STM rows into the LTM after optimizer step `step`: gradual every N steps (rows with count·importance ≥ θ,
    /// whose importance is then halved), random with a chance per step (rows with count ≥ θ, nothing reset, as the legacy
    /// model). Returns the rows written.
    @discardableResult
    func consolidate(step: Int) -> Int {
        guard let ring, ring.x.size(1) > 0 else { return 0 }
        let mode = config.effectiveConsolidation
        switch mode {
        case .gradual: guard (step + 1) % config.consolidateEvery == 0 else { return 0 }
        case .random: guard Tensor.rand([1]).item() < config.consolidateProbability else { return 0 }
        case .none: return 0
        }
        return withNoGrad {
            let theta = Double(config.consolidateThreshold)
            var candidate = mode == .gradual ? ring.valid && ((ring.count * ring.importance) .>= theta)
                                              : ring.valid && (ring.count .>= theta)
            let flatX = ring.x.reshape([-1, width])
            if let consolidate_gate {
                let p = consolidate_gate(cat([flatX, flatX], dim: -1)).sigmoid().reshape(ring.valid.shape)
                candidate = candidate && (p .> 0.5)
            }
            var chosen = candidate.reshape([-1]).nonzero().reshape([-1])                      // (M)
            guard chosen.size(0) > 0 else { return 0 }
            if chosen.size(0) > config.consolidateMax {   // the most accessed first
                let counts = ring.count.reshape([-1]).indexSelect(dim: 0, index: chosen)
                chosen = chosen.indexSelect(dim: 0, index: counts.topk(config.consolidateMax).indices)
            }
            write(compress(flatX.indexSelect(dim: 0, index: chosen)))
            if mode == .gradual {
                let halved = ring.importance.reshape([-1]).clone()
                halved[chosen] = halved.indexSelect(dim: 0, index: chosen) * 0.5
                self.ring?.importance = halved.view(ring.importance.shape)
            }
            return chosen.size(0)
        }
    }

    /// Writes compressed rows (M, d_c) into the LTM: at the ring pointer, overwriting the oldest rows (bounded), or
    /// after the last row, doubling the capacity when full (unbounded).
    func write(_ rows: Tensor) {
        var m = rows.size(0)
        var pointer = ltm_pointer.itemInt()
        var capacity = ltm_memory.size(0)
        var source = rows
        if !config.ltmBounded && pointer + m > capacity {
            var grown = capacity
            while pointer + m > grown { grown *= 2 }
            ltm_memory = cat([ltm_memory, Tensor.zeros([grown - capacity, ltm_memory.size(1)], device: ltm_memory.device)], dim: 0)
            ltm_valid = cat([ltm_valid, Tensor.zeros([grown - capacity], dtype: .bool, device: ltm_valid.device)], dim: 0)
            capacity = grown
        }
        if m > capacity { source = rows.narrow(dim: 0, start: m - capacity, length: capacity); m = capacity }
        let index = (Tensor.arange(Double(pointer), Double(pointer + m), device: rows.device) % capacity)
        ltm_memory[index] = source
        ltm_valid[index] = Tensor.ones([m], dtype: .bool, device: rows.device)
        pointer = (pointer + m) % capacity
        if !config.ltmBounded && pointer == 0 { pointer = capacity }   // unbounded: the pointer is the fill
        ltm_pointer.fill_(pointer)
    }

    /// Resizes the LTM to a checkpoint's capacity (an unbounded LTM grows), before its state dict is loaded.
    func prepareLongTermMemory(rows: Int) {
        guard rows != ltm_memory.size(0) else { return }
        ltm_memory = Tensor.zeros([rows, ltm_memory.size(1)], device: ltm_memory.device)
        ltm_valid = Tensor.zeros([rows], dtype: .bool, device: ltm_valid.device)
    }

    /// Resizes each layer's LTM to the checkpoint's (an unbounded LTM grows); `prefix` is the layers' list key
    /// ("transformer.cortex").
    static func prepare(_ layers: [CortexMemoryLayer], prefix: String, forStateDict state: [String: Tensor]) {
        for (i, layer) in layers.enumerated() {
            if let memory = state["\(prefix).\(i).ltm_memory"] { layer.prepareLongTermMemory(rows: memory.size(0)) }
        }
    }

    /// Forgets the STM (a new document).
    func resetShortTerm() { ring = nil }

    var ltmRows: Int { ltm_valid.long().sum().itemInt() }
}

extension CortexMemoryLayer {
    /// Adds memory layers' StabilizedLoss regularisers (means over layers, with their weights) and metrics to a
    /// forward's output: gate_mass/current|stm|ltm, gate_entropy (per token, nats), stm_fill (rows a query reads / S),
    /// stm_hit (queries whose largest STM weight ≥ 0.5), ltm_fill (rows written / L), ltm_hit (tokens whose largest LTM
    /// weight ≥ 0.5), sparsity_active (mask entries > 0.5).
    static func withTerms(_ output: ModelOutput, layers memoryLayers: [CortexMemoryLayer], config cortex: CortexConfig) -> ModelOutput {
        let outputs = memoryLayers.compactMap { $0.last.value }
        guard !outputs.isEmpty else { return output }
        var result = output
        func mean(_ values: [Tensor]) -> Tensor { values.dropFirst().reduce(values[0], +) / Double(values.count) }
        if cortex.gateSmoothnessWeight > 0 {
            result.auxiliaryLosses.append(AuxiliaryLoss("gate_smoothness", weight: cortex.gateSmoothnessWeight, mean(outputs.map(\.gateSmoothness))))
        }
        if cortex.gateEntropyWeight > 0 {
            result.auxiliaryLosses.append(AuxiliaryLoss("gate_entropy_push", weight: cortex.gateEntropyWeight, mean(outputs.map(\.gateEntropy))))
        }
        let penalties = outputs.compactMap(\.sparsity)
        if cortex.sparsityWeight > 0 && !penalties.isEmpty {
            result.auxiliaryLosses.append(AuxiliaryLoss("sparsity_penalty", weight: cortex.sparsityWeight, mean(penalties)))
        }
        withNoGrad {
            let gates = outputs.map { $0.gate.detached() }
            let mass = mean(gates.map { $0.mean(dims: [0, 1]) })                                // (3)
            result.metrics["gate_mass/current"] = mass.select(dim: 0, index: 0)
            result.metrics["gate_mass/stm"] = mass.select(dim: 0, index: 1)
            result.metrics["gate_mass/ltm"] = mass.select(dim: 0, index: 2)
            result.metrics["gate_entropy"] = mean(gates.map { (-($0 * ($0 + 1e-8).log()).sum(dims: [-1])).mean() })
            result.metrics["stm_fill"] = mean(outputs.map(\.stmFill))
            result.metrics["stm_hit"] = mean(outputs.map { ($0.conf.detached() .>= 0.5).float().mean() })
            result.metrics["ltm_fill"] = mean(memoryLayers.map { $0.ltm_valid.float().mean() })
            result.metrics["ltm_hit"] = mean(outputs.map { o in
                o.ltmTopWeight.map { ($0 .>= 0.5).float().mean() } ?? Tensor.zeros([], device: o.out.device) })
            let masks = outputs.compactMap(\.mask)
            if !masks.isEmpty { result.metrics["sparsity_active"] = mean(masks.map { ($0.detached() .> 0.5).float().mean() }) }
        }
        return result
    }
}
