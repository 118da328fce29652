// KVCache.swift — incremental decoding: each attention layer keeps the keys and values of the positions it has
// seen, so generating a token runs the model on that one token instead of the whole sequence again.
//
// The cache is filled by one pass over the prompt (causal attention among its tokens), then grows by one position
// per generated token (that token attends to every cached position). Positions beyond the model's context are
// not cached: `generate` falls back to recomputing a cropped window when a sequence outgrows the context.
// Several sequences of different lengths decode together through a BatchedKVCache (BatchedKVCache.swift); a model's
// attention sees either through `DecodingCache`.
import Torch

/// Where an attention layer's keys and values come from while decoding.
public protocol DecodingCache: AnyObject {
    /// The positions of the next `count` tokens: (T) when every row is at the same place, (B, T) per row.
    func positions(_ count: Int, device: Device) -> Tensor
    /// The position after the last new token of the row furthest on (the length the context must hold).
    func end(adding count: Int) -> Int
    /// Stores layer `layer`'s keys and values of the new positions, k and v (B, heads, T_new, D), and returns what
    /// the new positions attend to: keys and values (B, heads, T_all, D) and, where rows differ in length, a mask
    /// (B, 1, T_new, T_all) that is true where a key may be attended (nil: every key, causal among the new ones).
    func store(layer: Int, k: Tensor, v: Tensor) -> (keys: Tensor, values: Tensor, mask: Tensor?)
    /// Marks `count` more positions as cached (after every layer has stored them).
    func advance(by count: Int)
}

/// One batch of sequences at the same position (one sequence, in generation and serving).
public final class KVCache: DecodingCache {
    var keys: [Tensor?]
    var values: [Tensor?]
    /// Positions cached so far (the next token's position).
    public private(set) var length = 0
    private var lastPositions: (start: Int, positions: Tensor)?

    public init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// Attention layers the cache has room for.
    public var layers: Int { keys.count }

    /// Layer `layer`'s keys and values (B, heads, length, D), once stored.
    func cached(layer: Int) -> (keys: Tensor, values: Tensor)? {
        guard let k = keys[layer], let v = values[layer] else { return nil }
        return (k, v)
    }

    public func positions(_ count: Int, device: Device) -> Tensor {
        if let last = lastPositions, last.start == length, last.positions.size(0) == count { return last.positions }
        let positions = Tensor.arange(Double(length), Double(length + count), device: device)   // (T)
        lastPositions = (length, positions)
        return positions
    }

    public func end(adding count: Int) -> Int { length + count }

    /// Appends the new keys and values to the cached ones; the new positions attend to all of them (causally among
    /// themselves, which only the prompt — on an empty cache — needs).
    public func store(layer: Int, k: Tensor, v: Tensor) -> (keys: Tensor, values: Tensor, mask: Tensor?) {
        let allK = keys[layer].map { cat([$0, k], dim: 2) } ?? k
        let allV = values[layer].map { cat([$0, v], dim: 2) } ?? v
        keys[layer] = allK
        values[layer] = allV
        return (allK, allV, nil)
    }

    public func advance(by count: Int) { length += count }
}

/// A model that can decode with a `KVCache`.
public protocol IncrementalDecoding: LanguageModel {
    func makeCache() -> KVCache
    /// Runs `idx` (B, T_new) at the cache's next positions, storing their keys and values, and returns the logits of
    /// the last position (B, V). T_new > 1 only on an empty KVCache (the prompt); a BatchedKVCache takes one token per
    /// row of its step.
    func decode(_ idx: Tensor, cache: any DecodingCache) -> Tensor
    /// Whether `decode` may be used now (default true); a model whose configuration needs the whole sequence per
    /// step says false, and generation recomputes the window instead.
    var decodesIncrementally: Bool { get }
}

extension IncrementalDecoding {
    public var decodesIncrementally: Bool { true }

    /// Room for `rows` sequences decoded together, each up to the model's context.
    public func makeBatchedCache(rows: Int) -> BatchedKVCache {
        BatchedKVCache(layers: makeCache().layers, rows: rows, maxLength: contextLength)
    }
}
