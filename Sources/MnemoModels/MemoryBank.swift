// MemoryBank.swift — the explicit memory bank of the ExplicitLM fork of MiniMind ("Decoupling Knowledge from
// Parameters via Explicit Memory Banks"; shared/research/minimind.md §2–3): N rows of L token ids, shared by every
// layer, each layer's FFN replaced by a lookup: product keys pick k candidate rows per token, the rows are decoded
// through the tied token embedding, one (or a soft mix) is selected and fused back into the residual stream, and
// after optimizer steps an EMA moves the selected rows toward the queries that chose them.
//
// Two versions (`memory_faithful`):
//   faithful  ExplicitLM 1.4.10 as published: raw dot-product keys whose scores are discarded (so the keys and the
//             gate projection never get a gradient: retrieval is a fixed random bucketing), hard Gumbel-softmax at
//             τ = 1 over cosine scores, EMA in token space (argmax re-tokenisation of γ·E[row] + (1−γ)·q̄).
//   working   cosine product keys whose score enters the selection logits ℓ = pk + cos(q, m)/τ (τ learned, from
//             0.1), so keys and gate learn; soft mixing or straight-through top-1; EMA in feature space: a float
//             offset added to the decoded row, the tokens untouched (re-tokenised only to read them). The offsets
//             are kept for the rows the EMA has touched only (`touched`, `offsets` (M, d) and an (N) slot map), not
//             as an N × d cache (2 GiB at 1M × 512), and the EMA runs in chunks of rows.
// Two readouts (`memory_readout`): `embedding` (above: the selected rows' mean embedding, fused into the residual
// stream — learned per trained row, it does not carry to rows never trained on) and `pointer` (`PointerReadout`
// below: the embedding readout stays as each layer's FFN replacement, and at the head the rows the last memory layer
// selects — its k candidates, or with dense retrieval every row by its softmax weight — each propose the token that
// follows the query's recent tokens in the row, a copy distribution mixed with the model's own by a learned gate —
// the values are token identities, so a new row's content is readable as written).
// Shapes: B batch, T sequence, d = dim, dk key dim (two halves), n = √N keys per half, k candidates, L row length.
import Foundation
import Torch
import TorchNN

/// The rows, shared by every layer: token ids (N, L) int32, the frozen-row mask, and (working EMA) the feature
/// offsets of the rows the EMA has changed. Persistent buffers but the slot map: checkpoints keep what the bank holds.
final class MemoryBank: Module {
    @Buffer var rows = Tensor.zeros([0], dtype: .int32)       // (N, L) token ids, pad where a row is shorter
    @Buffer var frozen = Tensor.zeros([0], dtype: .bool)      // (N) rows the EMA never changes
    @Buffer var touched = Tensor.zeros([0], dtype: .int64)    // (M) rows with a feature offset, in the order first changed
    @Buffer var offsets = Tensor.zeros([0])                   // (M, d) their offsets (working EMA; empty otherwise)
    @Buffer(persistent: false) var slot = Tensor.zeros([0], dtype: .int64)   // (N) a row's index into offsets, −1: none
    let padId: Int
    /// The working EMA keeps feature offsets.
    let featureEMA: Bool
    /// Rows the EMA processes at once (ExplicitLM: 4,096).
    static let emaChunk = 4096
    /// Every row decoded, shared by the layers of one forward (`sharingDecodedRows`); nil outside one.
    private var sharedDecode: (active: Bool, rows: Tensor?) = (false, nil)
    /// n-gram (context + next token) → the first row holding it; built on demand, rebuilt when the rows change (a
    /// fill, the faithful EMA, a loaded checkpoint: the ids' weighted checksum tells).
    private var continuations: (context: Int, checksum: Int64, rows: [[Int32]: Int])?
    /// The pointer readout's index: the ids, and for each token where it stands (row, position) with a token after it.
    fileprivate var occurrences: (checksum: Int64, ids: [Int32], table: [Int32: [(row: Int32, position: Int32)]])?

    init(_ config: MiniMindConfig) {
        let n = config.memoryRows, l = config.memoryLength
        padId = config.memoryPadId
        rows = Tensor.randint(0, Swift.max(config.vocabSize, 1), [n, l], dtype: .int32)   // random ids until filled
        frozen = (Tensor.arange(0, Double(n)) .< Double(Int(config.memoryFreezeRatio * Double(n))))
        featureEMA = !config.memoryFaithful && config.memoryEMAEvery > 0
        if featureEMA {
            offsets = Tensor.zeros([0, config.dim])
            slot = Tensor.full([n], -1, dtype: .int64)
        }
        super.init()
    }

    var count: Int { rows.size(0) }
    var length: Int { rows.size(1) }

    /// Mean token embedding of each chosen row, pads left out (an all-pad row is the zero vector), plus its feature
    /// offset when it has one: idx (…) int64 → (…, d).
    func decode(_ idx: Tensor, embedding: Tensor) -> Tensor {
        let flat = idx.reshape(-1)                                                   // (R)
        var m = tokenMean(flat, embedding: embedding)                                // (R, d)
        if let offset = offset(of: flat) { m = m + offset }
        return m.view(idx.shape + [embedding.size(1)])
    }

    /// Every row decoded (N, d): once per model forward while `sharingDecodedRows` runs (dense and exact retrieval
    /// read the whole bank in every layer, and the layers share the decode and its gradient path), fresh otherwise.
    func decodeAll(embedding: Tensor) -> Tensor {
        if sharedDecode.active, let rows = sharedDecode.rows { return rows }
        let all = decode(Tensor.arange(0, Double(count), dtype: .int64, device: embedding.device), embedding: embedding)
        if sharedDecode.active { sharedDecode.rows = all }
        return all
    }

    /// Runs one forward of the model's layers with `decodeAll` computed at most once.
    func sharingDecodedRows<R>(_ body: () -> R) -> R {
        sharedDecode = (true, nil)
        defer { sharedDecode = (false, nil) }
        return body()
    }

    /// The mean token embedding of rows (R) → (R, d), pads left out. One embedding_bag over the flattened rows: the
    /// (R, L, d) gather is never materialised.
    func tokenMean(_ flat: Tensor, embedding: Tensor) -> Tensor {
        let tokens = rows.indexSelect(dim: 0, index: flat).long()                    // (R, L)
        let present = (tokens .!= padId).float()                              // (R, L)
        let weights = present / present.sum(dims: [1], keepDim: true).clamp(min: 1)  // 1/count, 0 on pads
        let starts = Tensor.arange(0, Double(tokens.count), step: Double(length), dtype: .int64, device: tokens.device)
        return embeddingBag(tokens.reshape(-1), offsets: starts, weight: embedding, mode: .sum,
                            perSampleWeights: weights.reshape(-1))                   // (R, d)
    }

    /// The feature offsets of rows (R) → (R, d), zero for rows the EMA has not changed; nil when no row has one.
    func offset(of flat: Tensor) -> Tensor? {
        guard touched.count > 0 else { return nil }
        let s = slot.indexSelect(dim: 0, index: flat)                                // (R), −1 where none
        let has = (s .>= 0).unsqueeze(1).to(offsets.dtype)
        return offsets.indexSelect(dim: 0, index: s.clamp(min: 0).long()) * has
    }

    /// Sets the feature offsets of rows (U), distinct, to values (U, d); rows without one get a slot.
    func setOffsets(rows changed: Tensor, _ values: Tensor) {
        withNoGrad {
            var s = slot.indexSelect(dim: 0, index: changed)                         // (U)
            let new = changed[s .< 0]                                                // rows seen for the first time
            if new.count > 0 {
                let slots = Tensor.arange(Double(touched.count), Double(touched.count + new.count), device: new.device)
                slot.indexPut_([new], slots)
                touched = cat([touched, new])
                offsets = cat([offsets, Tensor.zeros([new.count, values.size(1)], dtype: offsets.dtype, device: offsets.device)])
                s = slot.indexSelect(dim: 0, index: changed)
            }
            offsets.indexPut_([s], values.to(offsets.dtype))
        }
    }

    /// The offsets as an (N, d) table (zero rows where none), for tests and inspection.
    func denseOffsets(dim: Int) -> Tensor {
        let table = Tensor.zeros([count, dim], device: rows.device)
        if touched.count > 0 { table.indexPut_([touched], offsets) }
        return table
    }

    /// A checkpoint's offsets may cover more rows than this bank has now: take its shapes, and the slot map its
    /// rows give, before its state dict is loaded.
    func prepare(forStateDict state: [String: Tensor], prefix: String) {
        guard featureEMA, let saved = state[prefix + "touched"], let values = state[prefix + "offsets"] else { return }
        touched = Tensor.zeros(saved.shape, dtype: .int64, device: rows.device)
        offsets = Tensor.zeros(values.shape, dtype: offsets.dtype, device: rows.device)
        slot = Tensor.full([count], -1, dtype: .int64, device: rows.device)
        if saved.count > 0 {
            let savedRows = saved.to(rows.device).long()
            slot.indexPut_([savedRows], Tensor.arange(0, Double(saved.count), device: rows.device))
        }
    }

    /// For each position t of idx (B, T), the row that continues the text there: the first row holding
    /// [idx[t−c+1] … idx[t], targets[t]] as consecutive ids (c = `context`), or −1 (none, too early in the window, an
    /// ignored target). Supervised retrieval's labels: they come from the training text only, so a row whose n-gram
    /// never occurs in the text is never a label. (B, T) int64 on idx's device.
    func continuationRows(_ idx: Tensor, targets: Tensor, context c: Int) -> Tensor {
        let checksum = rowsChecksum
        if continuations?.context != c || continuations?.checksum != checksum {
            var table: [[Int32]: Int] = [:]
            let ids = rows.toArray(Int32.self), l = length, pad = Int32(padId)
            for r in 0..<count {
                let row = ids[(r * l)..<((r + 1) * l)]
                for start in row.startIndex...(row.endIndex - c - 1) {
                    let gram = Array(row[start...(start + c)])
                    if gram.contains(pad) { continue }
                    if table[gram] == nil { table[gram] = r }
                }
            }
            continuations = (c, checksum, table)
        }
        let table = continuations!.rows
        let (b, t) = (idx.size(0), idx.size(1))
        let x = idx.to(.cpu).toArray(Int64.self), y = targets.to(.cpu).toArray(Int64.self)
        var gold = [Int64](repeating: -1, count: b * t)
        for i in 0..<b {
            for j in (c - 1)..<t where y[i * t + j] >= 0 {
                let gram = (0..<c).map { Int32(x[i * t + j - c + 1 + $0]) } + [Int32(y[i * t + j])]
                if let r = table[gram] { gold[i * t + j] = Int64(r) }
            }
        }
        return Tensor(gold, shape: [b, t]).to(idx.device)
    }

    /// A weighted sum of every id (Σ ids · position): tells the tables built from the rows (continuations, pointer
    /// occurrences) that the rows changed since (a fill, the faithful EMA, an edit, a loaded checkpoint).
    var rowsChecksum: Int64 {
        withNoGrad {
            (rows.long() * Tensor.arange(1, Double(rows.count + 1), device: rows.device).view(rows.shape)).sum().toArray(Int64.self)[0]
        }
    }

    /// Replaces rows (token ids) from a list, each truncated or padded to L; rows past the list keep their ids.
    func fill(_ lists: [[Int]], from start: Int = 0) {
        withNoGrad {
            for (i, list) in lists.enumerated() where start + i < count {
                var ids = Array(list.prefix(length))
                ids += Array(repeating: padId, count: length - ids.count)
                rows.narrow(dim: 0, start: start + i, length: 1).copy_(Tensor(ids.map(Int32.init), shape: [1, length]))
            }
        }
    }
}

/// Holds a reference to the shared bank without making it a child of each layer (a child would be saved once per
/// layer), and what the last training forward selected, for the EMA.
final class MemoryBankReference {
    let bank: MemoryBank
    init(_ bank: MemoryBank) { self.bank = bank }
}

/// A block's last memory output (for the model's auxiliary losses); a holder, so that it is not module state.
final class MemoryOutputHolder {
    var value: MemoryOutput?
}

/// What one layer's last forward chose (the EMA's input and the study's hit rates); not module state.
final class MemoryTrace {
    var query: Tensor?          // (B·T, d) detached
    var selectedRow: Tensor?    // (B·T) int64: the row of largest weight per token
    var candidates: Tensor?     // (B, T, k) int64
}

/// One forward of the memory layer: its output and its two auxiliary losses.
struct MemoryOutput {
    var out: Tensor             // (B, T, d)
    var similarityLoss: Tensor  // −mean Σ_k w_k cos_k
    var diversityLoss: Tensor   // mean off-diagonal cosine among the k candidates
    var balanceLoss: Tensor?    // usage balance of the keys (or rows), when memory_balance_loss_coef > 0
    /// The rows the pointer readout reads and their selection weights, with gradient: the candidates (B, T, k) int64
    /// and w (B, T, k) (product keys, exact), or nil and w over every row (B, T, N) (dense).
    var pointerRows: Tensor?, pointerWeights: Tensor
    /// Internals for the fixture tests.
    var candidates: Tensor, productKeyScores: Tensor, cosines: Tensor, logits: Tensor, weights: Tensor, selected: Tensor
}

/// ExplicitLM's GatedMemoryFusion: down(silu(gate u) · up u) over u = [q; selected].
final class GatedFusion: Module {
    let gate_proj: Linear   // 2d → d
    let up_proj: Linear     // 2d → d
    let down_proj: Linear   // d → d

    init(dim: Int) {
        gate_proj = Linear(2 * dim, dim, bias: false)
        up_proj = Linear(2 * dim, dim, bias: false)
        down_proj = Linear(dim, dim, bias: false)
        super.init()
    }

    func callAsFunction(_ u: Tensor) -> Tensor { down_proj(gate_proj(u).silu() * up_proj(u)) }
}

/// The layer that replaces a block's FFN: query from the attention output, product-key candidates, decode,
/// selection, fusion.
final class MemoryLayer: Module {
    let memory_norm: RMSNorm        // the query: RMSNorm of the attention output (as upstream)
    let gate_proj: Linear           // d → dk (dense retrieval: the query's projection)
    let key_proj: Linear?           // dense retrieval: the rows' projection d → dk, so query and rows meet in one space
    let keys: Tensor                // (2, n, dk/2)
    let fusion: GatedFusion
    let log_tau: Tensor?            // working: log τ, learned (0-d)
    let faithful: Bool
    let topOne: Bool                // working: straight-through top-1 instead of soft mixing
    let exact: Bool                 // working: candidates by cosine against every row (no keys; small banks)
    let dense: Bool                 // working: soft attention over every row (no candidates; small banks)
    let candidates: Int
    let keysPerHalf: Int
    let balance: Bool               // compute the usage-balance loss (memory_balance_loss_coef > 0)
    let reference: MemoryBankReference
    let trace = MemoryTrace()

    init(_ config: MiniMindConfig, bank: MemoryBank) {
        let dk = config.memoryKeyDim
        keysPerHalf = Int(Double(config.memoryRows).squareRoot().rounded())
        memory_norm = RMSNorm(config.dim, eps: config.normEps, upcast: true)
        gate_proj = Linear(config.dim, dk, bias: false)
        key_proj = config.memoryRetrieval == .dense ? Linear(config.dim, dk, bias: false) : nil
        keys = Tensor.randn([2, keysPerHalf, dk / 2]).requiringGrad()
        fusion = GatedFusion(dim: config.dim)
        faithful = config.memoryFaithful
        topOne = config.memorySelection == .top1
        exact = config.memoryRetrieval == .exact
        dense = config.memoryRetrieval == .dense
        log_tau = faithful ? nil : Tensor.full([], Foundation.log(config.memoryTau)).requiringGrad()
        candidates = config.memoryCandidates
        balance = config.memoryBalanceLossCoef > 0
        reference = MemoryBankReference(bank)
        super.init()
    }

    /// hAttn (B, T, d): the block's attention output. `gumbel` (B, T, k): the faithful version's noise (drawn here
    /// when nil).
    func callAsFunction(_ hAttn: Tensor, embedding: Tensor, gumbel: Tensor? = nil) -> MemoryOutput {
        let (B, T) = (hAttn.size(0), hAttn.size(1))
        let q = memory_norm(hAttn)                                                   // (B, T, d)
        if dense { return denseRetrieval(q, embedding: embedding) }
        var balanceLoss: Tensor?
        let (idx, pk) = exact ? exactCandidates(q, embedding: embedding) : productKeyCandidates(q, balance: &balanceLoss)   // (B, T, k) each
        // decode and compare
        let m = reference.bank.decode(idx, embedding: embedding)                     // (B, T, k, d)
        let similarity = cosine(q.unsqueeze(-2), m)                                  // (B, T, k) cos(q, m_k)
        // select
        let logits: Tensor, w: Tensor
        if faithful {
            let g = gumbel ?? -(-Tensor.rand(similarity.shape, device: similarity.device).clamp(min: 1e-10, max: 1 - 1e-10).log()).log()
            logits = similarity + g                                                  // τ = 1, as upstream
            w = straightThroughTopOne(logits.softmax(dim: -1))
        } else {
            logits = pk + similarity / log_tau!.exp()
            let p = logits.softmax(dim: -1)
            w = topOne ? straightThroughTopOne(p) : p
        }
        let selected = (w.unsqueeze(-1) * m).sum(dims: [-2])                         // (B, T, d)
        let out = fusion(cat([q, selected], dim: -1))                                // (B, T, d)
        // auxiliary losses
        let similarityLoss = -(w * similarity).sum(dims: [-1]).mean()
        let diversityLoss = Self.diversity(m)
        trace.query = training ? q.detached().reshape([B * T, -1]) : nil
        trace.selectedRow = idx.gather(dim: -1, index: w.detached().argmax(dim: -1, keepDim: true)).reshape(-1)
        trace.candidates = idx
        return MemoryOutput(out: out, similarityLoss: similarityLoss, diversityLoss: diversityLoss, balanceLoss: balanceLoss,
                            pointerRows: idx, pointerWeights: w, candidates: idx,
                            productKeyScores: pk, cosines: similarity, logits: logits, weights: w, selected: selected)
    }

    /// The coarse stage: two halves of the projected query against two key sets, top-k of each, top-k of the k²
    /// sums → rows i1·n + i2 and their scores pk (raw dot products in the faithful layer, cosines in the working one).
    /// With `balance` on, the keys' usage balance, the mean over the halves of usageBalance(softmax(s), top-k).
    private func productKeyCandidates(_ q: Tensor, balance balanceLoss: inout Tensor?) -> (rows: Tensor, scores: Tensor) {
        let (B, T) = (q.size(0), q.size(1)), k = candidates, n = keysPerHalf
        let z = gate_proj(q)                                                         // (B, T, dk)
        let half = z.size(-1) / 2
        var z1 = z.narrow(dim: -1, start: 0, length: half), z2 = z.narrow(dim: -1, start: half, length: half)
        var k1 = keys.select(dim: 0, index: 0), k2 = keys.select(dim: 0, index: 1)   // (n, dk/2)
        if !faithful { (z1, z2, k1, k2) = (normalized(z1), normalized(z2), normalized(k1), normalized(k2)) }
        let s1 = z1.matmul(k1.T), s2 = z2.matmul(k2.T)                               // (B, T, n) each
        let (v1, i1) = s1.topk(k), (v2, i2) = s2.topk(k)                             // (B, T, k)
        if balance {
            balanceLoss = (Self.usageBalance(s1.softmax(dim: -1), chosen: i1) + Self.usageBalance(s2.softmax(dim: -1), chosen: i2)) / 2
        }
        let sums = v1.unsqueeze(-1) + v2.unsqueeze(-2)                               // (B, T, k, k)
        let (pk, j) = sums.reshape([B, T, k * k]).topk(k)                            // (B, T, k)
        let kk = Tensor.full([], Double(k), dtype: .int64)
        let rows = i1.gather(dim: -1, index: j.floorDivide(kk)) * n + i2.gather(dim: -1, index: j % k)
        return (rows, pk)
    }

    /// Exact retrieval (working layer, small banks): the k rows of largest cos(q, m_r) over the whole bank, chosen
    /// without gradient (N scores per token); pk = 0, so ℓ = cos/τ. Content-addressed: a row never selected in
    /// training is found by what it holds, which learned keys over randomly placed rows cannot do.
    private func exactCandidates(_ q: Tensor, embedding: Tensor) -> (rows: Tensor, scores: Tensor) {
        let bank = reference.bank
        let rows = withNoGrad {
            let all = bank.decodeAll(embedding: embedding)                                                        // (N, d)
            return normalized(q).matmul(normalized(all).T).topk(candidates).indices                              // (B, T, k)
        }
        return (rows, Tensor.zeros(rows.shape, device: q.device))
    }

    /// Dense retrieval (working layer, small banks): softmax(cos(W_q q, W_k m_r)/τ) over every row r — attention over the
    /// whole bank, so a row's content gets a gradient whether or not it would have been a candidate. N scores and one
    /// (B, T, N) × (N, d) product per token; the diversity loss is taken over the k rows of largest weight.
    private func denseRetrieval(_ q: Tensor, embedding: Tensor) -> MemoryOutput {
        let (B, T) = (q.size(0), q.size(1)), k = candidates
        let bank = reference.bank
        let all = bank.decodeAll(embedding: embedding)                               // (N, d)
        let similarity = normalized(gate_proj(q)).matmul(normalized(key_proj!(all)).T)   // (B, T, N) cos(W_q q, W_k m_r)
        let logits = similarity / log_tau!.exp()
        let w = logits.softmax(dim: -1)                                              // (B, T, N)
        let selected = w.matmul(all)                                                 // (B, T, d)
        let out = fusion(cat([q, selected], dim: -1))
        let similarityLoss = -(w * similarity).sum(dims: [-1]).mean()
        let top = w.detached().topk(k).indices                                       // (B, T, k)
        let diversityLoss = Self.diversity(all.indexSelect(dim: 0, index: top.reshape(-1)).view([B, T, k, -1]))
        let balanceLoss = balance ? Self.usageBalance(w, chosen: top.narrow(dim: -1, start: 0, length: 1)) : nil
        trace.query = training ? q.detached().reshape([B * T, -1]) : nil
        trace.selectedRow = top.select(dim: -1, index: 0).reshape(-1)
        trace.candidates = top
        return MemoryOutput(out: out, similarityLoss: similarityLoss, diversityLoss: diversityLoss, balanceLoss: balanceLoss,
                            pointerRows: nil, pointerWeights: w, candidates: top,
                            productKeyScores: Tensor.zeros(top.shape, device: q.device), cosines: similarity.gather(dim: -1, index: top),
                            logits: logits, weights: w, selected: selected)
    }

    /// The usage-balance loss of a MoE router (Switch Transformer's n · Σ_i f_i · P_i) over n choices — keys of a
    /// half, or rows: P_i the mean probability of choice i over the tokens, f_i the fraction of the tokens' chosen
    /// slots (B, T, c) that are i. 1 when usage is uniform, up to n when every token takes the same choice; the
    /// gradient flows through P. (ExplicitLM 1.4.6's `balance_loss_coef` term, whose code is not public: restated.)
    static func usageBalance(_ probabilities: Tensor, chosen: Tensor) -> Tensor {
        let n = probabilities.size(-1)
        let meanProbability = probabilities.reshape([-1, n]).mean(dims: [0])         // (n) P_i
        let fraction = chosen.reshape(-1).bincount(minLength: n).float() / Double(chosen.count)   // (n) f_i
        return (fraction * meanProbability).sum() * Double(n)
    }

    /// The diversity loss: the mean off-diagonal cosine among each token's k candidate rows m (B, T, k, d).
    static func diversity(_ m: Tensor) -> Tensor {
        let k = m.size(-2)
        let directions = normalized(m, eps: 1e-8)                                    // (B, T, k, d)
        let gram = directions.matmul(directions.transpose(-1, -2))                   // (B, T, k, k)
        let diagonal = (directions * directions).sum(dims: [-2, -1])                 // (B, T): Σ_i ‖m̂_i‖², the trace
        return ((gram.sum(dims: [-2, -1]) - diagonal) / Double(k * (k - 1))).mean()
    }

    /// onehot(argmax p) − p.detach() + p: the forward value is hard, the gradient is softmax's.
    private func straightThroughTopOne(_ p: Tensor) -> Tensor {
        let hard = p.argmax(dim: -1).oneHot(numClasses: p.size(-1)).to(p.dtype)
        return hard - p.detached() + p
    }
}

// MARK: the pointer readout

/// The pointer readout (`memory_readout = "pointer"`): a copy distribution over the tokens that follow the matched
/// context in the selected rows, mixed with the model's own next-token distribution (pointer-generator form, See et al.
/// 2017; the unmatched mass goes to the model, as a pointer-sentinel's sentinel):
///
///   p(v) = (g + (1 − g)(1 − M)) · softmax(logits)(v) + (1 − g) · Σ_r w_r a_r [next_r = v],   M = Σ_r w_r a_r
///
/// g = sigmoid(gate(h)) from the final hidden state; w_r the last memory layer's weight of row r, with gradient (its k
/// candidates with product keys or exact retrieval; every row with dense retrieval, where only matching rows enter).
/// The alignment is an exact rule (no gradient; the gradient trains the retrieval and the gate): with the query's
/// last c tokens x_t, x_{t−1}, …, x_{t−c+1} (c = memory_pointer_context), a row position j matches m_j tokens —
/// the longest run row[j] = x_t, row[j−1] = x_{t−1}, … (at most c; pads and positions before the row's start or the
/// sequence's start never match) —, counted only where row[j+1] is a token (not a pad, not past the row's end). The
/// row points at j* = the first position of largest m_j; it proposes next_r = row[j* + 1] with strength
/// a_r = m_{j*} / c (0 when nothing matches: the row proposes nothing and its weight stays with the model). So the row
/// [s1 s2 r o pad …] asked after "s1 s2 r" proposes o with strength 1, after "x s2 r" with strength 2/3.
/// The result is log p (clamped at 1e-20): cross-entropy of it is the mixture's NLL, its softmax is p, its argmax the
/// mixture's — so the loss, evaluation and generation all see the same distribution.
enum PointerReadout {
    /// For each query position and row: the proposed token (B, T, R) int64 (0 where none) and its strength a
    /// (B, T, R) float in [0, 1]. tokens (B, T, R, L) row ids, context (B, T) the sequence's ids.
    static func proposals(tokens: Tensor, context idx: Tensor, pad: Int, matchLength c: Int) -> (next: Tensor, strength: Tensor) {
        let (B, T, L) = (idx.size(0), idx.size(1), tokens.size(-1))
        let row = tokens.long().maskedFill(tokens.long() .== pad, -1)                          // (B, T, R, L), pads −1
        var run = Tensor.ones(row.shape, dtype: .bool, device: row.device)                    // all of x_t … x_{t−i} matched
        var matched = Tensor.zeros(row.shape, device: row.device)                             // m_j
        for i in 0..<c {
            // row[j − i] (−1 before the row's start) against x_{t−i} (−2 before the sequence's start)
            let shiftedRow = i == 0 ? row : cat([Tensor.full(Array(row.shape.dropLast()) + [i], -1, dtype: .int64, device: row.device),
                                                 row.narrow(dim: -1, start: 0, length: L - i)], dim: -1)
            let x = i == 0 ? idx : i >= T ? Tensor.full([B, T], -2, dtype: .int64, device: idx.device)
                : cat([Tensor.full([B, i], -2, dtype: .int64, device: idx.device),
                       idx.narrow(dim: 1, start: 0, length: T - i)], dim: 1)                  // (B, T) x_{t−i}
            run = run.logicalAnd(shiftedRow .== x.long().view([B, T, 1, 1])).logicalAnd(shiftedRow .>= 0)
            matched = matched + run.float()
        }
        let following = cat([row.narrow(dim: -1, start: 1, length: L - 1),
                             Tensor.full(Array(row.shape.dropLast()) + [1], -1, dtype: .int64, device: row.device)], dim: -1)  // row[j+1]
        matched = matched * (following .>= 0).float()
        // first position of the longest match: argmax of m_j·L + (L − 1 − j)
        let order = Tensor.arange(Double(L - 1), -1, step: -1, dtype: .float32, device: row.device)            // L−1 … 0
        let best = (matched * Double(L) + order).argmax(dim: -1, keepDim: true)               // (B, T, R, 1)
        let strength = matched.gather(dim: -1, index: best).squeeze(-1) / Double(c)      // (B, T, R)
        let next = following.gather(dim: -1, index: best).squeeze(-1)
            .maskedFill(strength .== 0, 0)                                                    // (B, T, R), 0 where none
        return (next, strength)
    }

    /// log p of the mixture (B, T, V): logits (B, T, V) the model's head, gate (B, T, 1) the gate's pre-sigmoid
    /// value, weights (B, T, R) the rows' retrieval weights, next and strength from `proposals`.
    static func mix(logits: Tensor, gate: Tensor, weights: Tensor, next: Tensor, strength: Tensor) -> Tensor {
        let pointed = weights * strength                                                      // (B, T, R) w_r a_r
        let copied = Tensor.zeros(logits.shape, dtype: pointed.dtype, device: logits.device)
            .scatterAdd(dim: -1, index: next, src: pointed)                                   // (B, T, V)
        return mix(logits: logits, gate: gate, copied: copied, mass: pointed.sum(dims: [-1], keepDim: true))
    }

    /// The same over every row of the bank, sparse (dense retrieval): weights (B, T, N); only the (position, row)
    /// pairs with a match (`MemoryBank.pointerProposals`) enter.
    static func mix(logits: Tensor, gate: Tensor, weights: Tensor, proposals: MemoryBank.Proposals) -> Tensor {
        let (B, T, V) = (logits.size(0), logits.size(1), logits.size(2))
        let pointed = weights.reshape(-1).indexSelect(dim: 0, index: proposals.row) * proposals.strength   // (P) w_r a_r
        let copied = Tensor.zeros([B * T * V], dtype: pointed.dtype, device: logits.device)
            .scatterAdd(dim: 0, index: proposals.token, src: pointed).view([B, T, V])
        let mass = Tensor.zeros([B * T], dtype: pointed.dtype, device: logits.device)
            .scatterAdd(dim: 0, index: proposals.position, src: pointed).view([B, T, 1])
        return mix(logits: logits, gate: gate, copied: copied, mass: mass)
    }

    /// p = (g + (1 − g)(1 − M)) softmax(logits) + (1 − g) copy, as log p: copied (B, T, V) Σ_r w_r a_r [next_r = v],
    /// mass (B, T, 1) M.
    static func mix(logits: Tensor, gate: Tensor, copied: Tensor, mass: Tensor) -> Tensor {
        let g = gate.sigmoid()                                                                // (B, T, 1)
        let kept = g + (1 - g) * (1 - mass)                                                   // (B, T, 1)
        let p = kept * logits.float().softmax(dim: -1) + (1 - g) * copied
        return p.clamp(min: 1e-20).log()
    }
}

extension MemoryBank {
    /// Every row's pointer proposal for every position, sparse: the (position, row) pairs where the row matches
    /// (`PointerReadout`'s rule), as flat indices — `row` into (B·T·N), `token` into (B·T·V) (the proposed token),
    /// `position` into (B·T) — and the strengths m/c (P). On idx's device.
    struct Proposals {
        var row: Tensor, token: Tensor, position: Tensor, strength: Tensor
    }

    /// The proposals over every row (dense retrieval), from an index of where each token stands in the rows (built on
    /// demand, rebuilt when the rows change): only rows holding the position's last token are looked at.
    func pointerProposals(context idx: Tensor, vocabulary V: Int, matchLength c: Int) -> Proposals {
        let checksum = rowsChecksum
        if occurrences?.checksum != checksum {
            var table: [Int32: [(row: Int32, position: Int32)]] = [:]
            let ids = rows.to(.cpu).toArray(Int32.self), l = length, pad = Int32(padId)
            for r in 0..<count {
                for j in 0..<(l - 1) where ids[r * l + j] != pad && ids[r * l + j + 1] != pad {
                    table[ids[r * l + j], default: []].append((Int32(r), Int32(j)))
                }
            }
            occurrences = (checksum, ids, table)
        }
        let (ids, table, l, n, pad) = (occurrences!.ids, occurrences!.table, length, count, Int32(padId))
        let (B, T) = (idx.size(0), idx.size(1))
        let x = idx.to(.cpu).toArray(Int64.self)
        var rowIndex: [Int64] = [], tokenIndex: [Int64] = [], positionIndex: [Int64] = [], strength: [Float] = []
        var best: [Int32: (m: Int, next: Int32)] = [:]
        for b in 0..<B {
            for t in 0..<T {
                best.removeAll(keepingCapacity: true)
                let p = b * T + t
                for (r, j) in table[Int32(truncatingIfNeeded: x[p])] ?? [] {
                    let base = Int(r) * l
                    var m = 1
                    while m < c && Int(j) - m >= 0 && t - m >= 0 {
                        let token = ids[base + Int(j) - m]
                        guard token != pad && Int64(token) == x[p - m] else { break }
                        m += 1
                    }
                    if m > (best[r]?.m ?? 0) { best[r] = (m, ids[base + Int(j) + 1]) }   // the first j of the longest match
                }
                for (r, proposal) in best {
                    rowIndex.append(Int64(p * n) + Int64(r))
                    tokenIndex.append(Int64(p * V) + Int64(proposal.next))
                    positionIndex.append(Int64(p))
                    strength.append(Float(proposal.m) / Float(c))
                }
            }
        }
        let device = idx.device, count = rowIndex.count
        return Proposals(row: Tensor(rowIndex, shape: [count]).to(device), token: Tensor(tokenIndex, shape: [count]).to(device),
                         position: Tensor(positionIndex, shape: [count]).to(device), strength: Tensor(strength, shape: [count]).to(device))
    }
}

/// x / max(‖x‖, eps) along the last dimension (F.normalize).
func normalized(_ x: Tensor, eps: Double = 1e-12) -> Tensor {
    x / x.norm(dims: [-1], keepDim: true).clamp(min: eps)
}

/// F.cosine_similarity along the last dimension with eps 1e-8 (each norm clamped).
func cosine(_ a: Tensor, _ b: Tensor) -> Tensor {
    let na = a.norm(dims: [-1]).clamp(min: 1e-8), nb = b.norm(dims: [-1]).clamp(min: 1e-8)
    return (a * b).sum(dims: [-1]) / (na * nb)
}

// MARK: the EMA

extension MemoryBank {
    /// Moves each row selected during the last training forward toward the mean query that selected it:
    /// new = γ·old + (1−γ)·q̄ (frozen rows untouched). Faithful: old = the row's token embeddings, re-tokenised by
    /// argmax over the (tied) embedding at every position, as upstream. Working: old = the decoded row plus its
    /// offset, kept as the new offset (the token ids do not change). Rows are processed in chunks (the faithful
    /// re-tokenisation scores L·V logits per row, so its chunks are smaller). Returns the rows changed.
    @discardableResult
    func exponentialMovingAverage(rows selected: Tensor, queries: Tensor, decay: Double, embedding: Tensor,
                                  faithful: Bool) -> Int {
        withNoGrad {
            // mean query per touched row: sort, group boundaries, group ids (unique with an inverse)
            let (sortedRows, order) = selected.sort()
            let m = sortedRows.size(0)
            let device = selected.device
            let starts = cat([Tensor.ones([1], dtype: .bool, device: device),
                              sortedRows.narrow(dim: 0, start: 1, length: m - 1) .!= sortedRows.narrow(dim: 0, start: 0, length: m - 1)])
            let group = starts.long().cumsum(dim: 0) - 1                               // (M) in sorted order
            let inverse = Tensor.zeros([m], dtype: .int64, device: device).scatter(dim: 0, index: order, src: group)
            let rowsTouched = sortedRows.unique().values                                // (U) sorted
            let u = rowsTouched.size(0)
            let sums = Tensor.zeros([u, queries.size(1)], device: device).indexAdd(dim: 0, index: inverse, source: queries.float())
            let counts = inverse.bincount(minLength: u).float().unsqueeze(1)
            let keep = frozen.indexSelect(dim: 0, index: rowsTouched).logicalNot()      // (U)
            let changing = rowsTouched[keep]                                            // (U') unfrozen rows
            let mean = (sums / counts)[keep]                                            // (U', d)
            guard faithful || featureEMA else { return 0 }
            let chunk = faithful ? Swift.max(1, Self.emaChunk / 16) : Self.emaChunk
            for first in stride(from: 0, to: changing.count, by: chunk) {
                let n = Swift.min(chunk, changing.count - first)
                let part = changing.narrow(dim: 0, start: first, length: n), target = mean.narrow(dim: 0, start: first, length: n)
                if faithful {
                    let old = embedding.indexSelect(dim: 0, index: rows.indexSelect(dim: 0, index: part).long().reshape(-1))
                        .view([n, length, -1])                                          // (n, L, d)
                    let new = old * decay + target.unsqueeze(1) * (1 - decay)
                    rows.indexPut_([part], new.matmul(embedding.T).argmax(dim: -1).to(.int32))   // (n, L) re-tokenised
                } else {
                    let plain = tokenMean(part, embedding: embedding)                   // (n, d)
                    let old = plain + (offset(of: part) ?? Tensor.zeros(plain.shape, device: plain.device))
                    let new = old * decay + target * (1 - decay)
                    setOffsets(rows: part, new - plain)
                }
            }
            return changing.count
        }
    }
}

// MARK: measurement

/// Timing of one memory layer, for `mnemo study memory-scale`: retrieval should grow about as √N with product keys
/// (2·√N key scores per token) and as N with exact retrieval.
public enum MemoryLayerTiming {
    /// Milliseconds per forward (no gradient) of one memory layer on (batch, sequence) random queries: retrieval,
    /// decode, selection and fusion; the median of `repeats` after one warm-up.
    public static func forwardMilliseconds(_ config: MiniMindConfig, batch: Int, sequence: Int, repeats: Int = 5) -> Double {
        let bank = MemoryBank(config)
        let layer = MemoryLayer(config, bank: bank)
        layer.eval()
        let embedding = Tensor.randn([config.vocabSize, config.dim]) * 0.02
        let h = Tensor.randn([batch, sequence, config.dim])
        var times: [Double] = []
        withNoGrad {
            _ = layer(h, embedding: embedding)
            for _ in 0..<repeats {
                let start = Date()
                _ = layer(h, embedding: embedding).out.sum().item()
                times.append(Date().timeIntervalSince(start) * 1000)
            }
        }
        return times.sorted()[times.count / 2]
    }
}
