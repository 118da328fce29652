// KVCache.swift — incremental decoding: each attention layer keeps the keys and values of the positions it has
// seen, so generating a token runs the model on that one token instead of the whole sequence again.
//
// The cache is filled by one pass over the prompt (causal attention among its tokens), then grows by one position
// per generated token (that token attends to every cached position). Positions beyond the model's context are
// not cached: `generate` falls back to recomputing a cropped window when a sequence outgrows the context.
import Torch

public final class KVCache {
    var keys: [Tensor?]
    var values: [Tensor?]
    /// Positions cached so far (the next token's position).
    public private(set) var length = 0

    public init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// Appends layer `layer`'s keys and values of the new positions, k and v (B, heads, T_new, D); returns all of
    /// them (B, heads, length + T_new, D).
    func append(layer: Int, k: Tensor, v: Tensor) -> (keys: Tensor, values: Tensor) {
        let allK = keys[layer].map { cat([$0, k], dim: 2) } ?? k
        let allV = values[layer].map { cat([$0, v], dim: 2) } ?? v
        keys[layer] = allK
        values[layer] = allV
        return (allK, allV)
    }

    /// Marks `count` more positions as cached (after every layer has appended them).
    func advance(by count: Int) { length += count }
}

/// A model that can decode with a `KVCache`.
public protocol IncrementalDecoding: LanguageModel {
    func makeCache() -> KVCache
    /// Runs `idx` (B, T_new) at positions cache.length ..< cache.length + T_new, appending to the cache, and
    /// returns the logits of the last position (B, V). T_new > 1 only on an empty cache (the prompt).
    func decode(_ idx: Tensor, cache: KVCache) -> Tensor
    /// Whether `decode` may be used now (default true); a model whose configuration needs the whole sequence per
    /// step says false, and generation recomputes the window instead.
    var decodesIncrementally: Bool { get }
}

extension IncrementalDecoding {
    public var decodesIncrementally: Bool { true }
}
