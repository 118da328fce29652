// Tensor+Shape.swift — views and copies that change shape: reshape, permute, cat, split, expand, tril...
import CTorch

extension Tensor {
    /// Same elements in a new shape; one entry may be -1. A view when possible, else a copy.
    public func reshape(_ shape: [Int]) -> Tensor {
        let s = shape.map(Int64.init)
        return wrap(mt_reshape(handle, s, Int64(s.count)), "reshape \(self.shape) to \(shape)")
    }
    public func reshape(_ shape: Int...) -> Tensor { reshape(shape) }
    /// A view in a new shape; fails if the memory layout does not allow it (as torch.view).
    public func view(_ shape: [Int]) -> Tensor {
        let s = shape.map(Int64.init)
        return wrap(mt_view(handle, s, Int64(s.count)), "view \(self.shape) as \(shape)")
    }
    public func view(_ shape: Int...) -> Tensor { view(shape) }
    public func permute(_ dims: [Int]) -> Tensor {
        let d = dims.map(Int64.init)
        return wrap(mt_permute(handle, d, Int64(d.count)), "permute \(shape) by \(dims)")
    }
    public func permute(_ dims: Int...) -> Tensor { permute(dims) }
    public func transpose(_ d0: Int, _ d1: Int) -> Tensor {
        wrap(mt_transpose(handle, Int64(d0), Int64(d1)), "transpose(\(d0), \(d1)) of \(shape)")
    }
    /// Removes size-1 dimensions (all of them, or just `dim`).
    public func squeeze(_ dim: Int? = nil) -> Tensor {
        wrap(mt_squeeze(handle, Int64(dim ?? 0), dim != nil), "squeeze")
    }
    public func unsqueeze(_ dim: Int) -> Tensor { wrap(mt_unsqueeze(handle, Int64(dim)), "unsqueeze(\(dim))") }
    public func flatten(start: Int = 0, end: Int = -1) -> Tensor {
        wrap(mt_flatten(handle, Int64(start), Int64(end)), "flatten(\(start), \(end)) of \(shape)")
    }
    /// Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size).
    public func expand(_ shape: [Int]) -> Tensor {
        let s = shape.map(Int64.init)
        return wrap(mt_expand(handle, s, Int64(s.count)), "expand \(self.shape) to \(shape)")
    }
    public func expand(as other: Tensor) -> Tensor { expand(other.shape) }
    /// Tiles the tensor `repeats[i]` times along dimension i (torch.Tensor.repeat).
    public func repeated(_ repeats: [Int]) -> Tensor {
        let r = repeats.map(Int64.init)
        return wrap(mt_repeat(handle, r, Int64(r.count)), "repeat \(shape) by \(repeats)")
    }
    /// Lower triangle (elements on and below the `diagonal`-th diagonal); the rest zero.
    public func tril(_ diagonal: Int = 0) -> Tensor { wrap(mt_tril(handle, Int64(diagonal)), "tril") }
    public func triu(_ diagonal: Int = 0) -> Tensor { wrap(mt_triu(handle, Int64(diagonal)), "triu") }
    public func flip(_ dims: [Int]) -> Tensor {
        let d = dims.map(Int64.init)
        return wrap(mt_flip(handle, d, Int64(d.count)), "flip")
    }

    /// Pieces of `size` along `dim` (the last may be smaller).
    public func split(_ size: Int, dim: Int = 0) -> [Tensor] {
        let n = size > 0 ? (self.size(dim) + size - 1) / size : 0
        return outputs(capacity: Swift.max(n, 1)) { mt_split(handle, Int64(size), Int64(dim), $0, $1) }
    }
    /// Pieces of the given sizes along `dim`.
    public func split(sizes: [Int], dim: Int = 0) -> [Tensor] {
        let s = sizes.map(Int64.init)
        return outputs(capacity: Swift.max(s.count, 1)) { out, _ in mt_split_sizes(handle, s, Int64(s.count), Int64(dim), out) }
    }
    /// At most `chunks` nearly equal pieces along `dim`.
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        outputs(capacity: Swift.max(chunks, 1)) { mt_chunk(handle, Int64(chunks), Int64(dim), $0, $1) }
    }

    private func outputs(capacity: Int, _ call: (UnsafeMutablePointer<OpaquePointer?>, Int64) -> Int64) -> [Tensor] {
        var out = [OpaquePointer?](repeating: nil, count: capacity)
        let n = out.withUnsafeMutableBufferPointer { call($0.baseAddress!, Int64(capacity)) }
        if n < 0 { fail("split/chunk of \(shape)"); return [] }
        return (0..<Int(n)).map { Tensor(handle: out[$0]!) }
    }
}

/// Joins tensors along an existing dimension.
public func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
    let handles: [OpaquePointer?] = tensors.map { $0.handle }
    return wrap(mt_cat(handles, Int64(handles.count), Int64(dim)), "cat of \(tensors.map(\.shape)) along \(dim)")
}

/// Joins equal-shaped tensors along a new dimension.
public func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
    let handles: [OpaquePointer?] = tensors.map { $0.handle }
    return wrap(mt_stack(handles, Int64(handles.count), Int64(dim)), "stack of \(tensors.map(\.shape)) along \(dim)")
}
