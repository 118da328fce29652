// BatchedKVCache.swift — several sequences of different lengths decoded in one forward: the server's requests.
//
// Each sequence owns a row of per-layer key and value storage (rows, heads, capacity, D) and its own length. A row is
// filled from the sequence's own KVCache after its prompt ran alone (`load`); from then on every step decodes one new
// token for each row taking part (`begin(rows:)` before the model's `decode`): the new keys and values are written
// at each row's own position, and each row's query attends to its own positions only — a mask hides the rest of the
// storage, which is padding for shorter rows. So a step costs one forward of batch N instead of N forwards of batch 1.
//
// Storage grows (doubling, up to the context) as the longest row needs it, and is allocated by the first `load`
// with that cache's dtype, device and head shape.
import Torch

public final class BatchedKVCache: DecodingCache {
    public let rows: Int
    /// The longest a row may grow (the model's context).
    public let maxLength: Int
    /// Positions cached per row.
    public private(set) var lengths: [Int]
    private var keys: [Tensor?]     // per layer (rows, heads, capacity, D)
    private var values: [Tensor?]
    private var capacity = 0
    /// The step being decoded: its rows in order, as an index (N), their new positions (N, 1), the mask
    /// (N, 1, 1, span) over the first `span` stored positions, and whether the rows are 0..<N (read without a gather).
    private var step: (rows: [Int], index: Tensor, positions: Tensor, mask: Tensor, span: Int, leading: Bool)?

    public init(layers: Int, rows: Int, maxLength: Int) {
        self.rows = rows
        self.maxLength = maxLength
        lengths = Array(repeating: 0, count: rows)
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// Replaces row `row` with a sequence's cache (batch 1), which every layer has filled.
    public func load(row: Int, from cache: KVCache) {
        precondition(cache.layers == keys.count, "a cache of \(cache.layers) layers loaded into one of \(keys.count)")
        precondition(cache.length <= maxLength, "a sequence of \(cache.length) positions is longer than the context \(maxLength)")
        reserve(cache.length)
        for layer in 0..<keys.count {
            guard let (k, v) = cache.cached(layer: layer) else { preconditionFailure("layer \(layer) of the loaded cache is empty") }
            if keys[layer] == nil {
                keys[layer] = Tensor.zeros([rows, k.size(1), capacity, k.size(3)], dtype: k.dtype, device: k.device)
                values[layer] = Tensor.zeros([rows, v.size(1), capacity, v.size(3)], dtype: v.dtype, device: v.device)
            }
            keys[layer]!.select(dim: 0, index: row).narrow(dim: 1, start: 0, length: cache.length).copy_(k.squeeze(0))
            values[layer]!.select(dim: 0, index: row).narrow(dim: 1, start: 0, length: cache.length).copy_(v.squeeze(0))
        }
        lengths[row] = cache.length
    }

    /// Empties row `row` (its storage is reused by the next `load`).
    public func free(row: Int) { lengths[row] = 0 }

    /// Makes the next `decode` take one token for each of `rows`, in that order: row r's token sits at position
    /// lengths[r].
    public func begin(rows active: [Int], device: Device) {
        precondition(!active.isEmpty && active.allSatisfy { lengths[$0] > 0 && lengths[$0] < maxLength },
                     "every row of a step must hold a sequence with room for one more position")
        let span = active.map { lengths[$0] }.max()! + 1
        reserve(span)
        let index = Tensor(active.map(Int64.init), shape: [active.count], device: device)
        let positions = Tensor(active.map { Int64(lengths[$0]) }, shape: [active.count, 1], device: device)   // (N, 1)
        // row i attends to positions 0...lengths[i] (its own, and the new one)
        let mask = (Tensor.arange(0, Double(span), device: device).unsqueeze(0) .<= positions).view(active.count, 1, 1, span)
        step = (active, index, positions, mask, span, active == Array(0..<active.count))
    }

    public func positions(_ count: Int, device: Device) -> Tensor {
        guard let step, count == 1 else { preconditionFailure("a batched step decodes one token per row, after begin(rows:)") }
        return step.positions
    }

    public func end(adding count: Int) -> Int { (step?.rows.map { lengths[$0] }.max() ?? 0) + count }

    /// Writes each row's new key and value (N, heads, 1, D) at its position and returns the stored ones of the step's
    /// rows (N, heads, span, D) with the mask.
    public func store(layer: Int, k: Tensor, v: Tensor) -> (keys: Tensor, values: Tensor, mask: Tensor?) {
        guard let step, let storedK = keys[layer], let storedV = values[layer] else {
            preconditionFailure("a batched step needs begin(rows:) and rows loaded first")
        }
        let position = step.positions.view(-1)
        storedK.indexPut_([step.index, nil, position], k.squeeze(2))     // [rows, :, positions] ← (N, heads, D)
        storedV.indexPut_([step.index, nil, position], v.squeeze(2))
        let rowsK = step.leading ? storedK.narrow(dim: 0, start: 0, length: step.rows.count) : storedK.indexSelect(dim: 0, index: step.index)
        let rowsV = step.leading ? storedV.narrow(dim: 0, start: 0, length: step.rows.count) : storedV.indexSelect(dim: 0, index: step.index)
        return (rowsK.narrow(dim: 2, start: 0, length: step.span), rowsV.narrow(dim: 2, start: 0, length: step.span), step.mask)
    }

    public func advance(by count: Int) {
        guard let step else { return }
        for row in step.rows { lengths[row] += count }
        self.step = nil
    }

    /// Grows every layer's storage to hold `length` positions per row.
    private func reserve(_ length: Int) {
        guard length > capacity else { return }
        let grown = Swift.min(maxLength, Swift.max(length, 2 * capacity, 64))
        for layer in 0..<keys.count {
            keys[layer] = keys[layer].map { Self.widened($0, to: grown) }
            values[layer] = values[layer].map { Self.widened($0, to: grown) }
        }
        capacity = grown
    }

    private static func widened(_ stored: Tensor, to capacity: Int) -> Tensor {
        let wider = Tensor.zeros([stored.size(0), stored.size(1), capacity, stored.size(3)], dtype: stored.dtype, device: stored.device)
        wider.narrow(dim: 2, start: 0, length: stored.size(2)).copy_(stored)
        return wider
    }
}
