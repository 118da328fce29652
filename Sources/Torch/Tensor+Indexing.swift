// Tensor+Indexing.swift — subscripts (t[1], t[0..<2, .all, 3], t[indexTensor]), gather/scatter, sorting.
import CTorch

/// One entry of a subscript, as in Python's `x[1, :, ::2, None, ...]`.
public enum TensorIndex {
    case at(Int)                                  // x[i] (removes the dimension)
    case slice(start: Int?, end: Int?, step: Int)  // x[a:b:s]
    case newAxis                                  // x[None]
    case ellipsis                                 // x[...]
    case tensor(Tensor)                           // x[idx] (advanced indexing)

    public static var all: TensorIndex { .slice(start: nil, end: nil, step: 1) }
    public static func stride(_ start: Int?, _ end: Int?, by step: Int) -> TensorIndex {
        .slice(start: start, end: end, step: step)
    }
}

public protocol TensorIndexConvertible { var tensorIndex: TensorIndex { get } }
extension TensorIndex: TensorIndexConvertible { public var tensorIndex: TensorIndex { self } }
extension Int: TensorIndexConvertible { public var tensorIndex: TensorIndex { .at(self) } }
extension Range<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { .slice(start: lowerBound, end: upperBound, step: 1) } }
extension ClosedRange<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .slice(start: lowerBound, end: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension PartialRangeFrom<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { .slice(start: lowerBound, end: nil, step: 1) } }
extension PartialRangeUpTo<Int>: TensorIndexConvertible { public var tensorIndex: TensorIndex { .slice(start: nil, end: upperBound, step: 1) } }
extension PartialRangeThrough<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .slice(start: nil, end: upperBound == -1 ? nil : upperBound + 1, step: 1) }
}
extension Tensor: TensorIndexConvertible { public var tensorIndex: TensorIndex { .tensor(self) } }
/// Lets `.all` and `.stride(…)` be written inside a subscript (`t[0..<2, .all, 3]`), whose entries are
/// `any TensorIndexConvertible` (the cases `.newAxis`, `.ellipsis` still need `TensorIndex.` there).
extension TensorIndexConvertible where Self == TensorIndex {
    public static var all: TensorIndex { TensorIndex.all }
    public static func stride(_ start: Int?, _ end: Int?, by step: Int) -> TensorIndex {
        TensorIndex.stride(start, end, by: step)
    }
}

extension Tensor {
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get { index(indices.map(\.tensorIndex)) }
        set { indexAssign(indices.map(\.tensorIndex), newValue) }
    }

    /// Basic indexing gives views; tensor indices are applied afterwards with torch's advanced-indexing rules.
    func index(_ items: [TensorIndex]) -> Tensor {
        var result = self
        var dim = 0
        var advanced: [Int: Tensor] = [:]
        let consuming = items.filter { if case .newAxis = $0 { return false }; if case .ellipsis = $0 { return false }; return true }.count
        for item in items {
            switch item {
            case .at(let i):
                result = result.select(dim: dim, index: i)
            case .slice(let start, let end, let step):
                result = result.slice(dim: dim, start: start, end: end, step: step)
                dim += 1
            case .newAxis:
                result = result.unsqueeze(dim)
                dim += 1
            case .ellipsis:
                dim += ndim - consuming  // the dimensions no other entry names
            case .tensor(let t):
                advanced[dim] = t
                dim += 1
            }
        }
        guard !advanced.isEmpty else { return result }
        let last = advanced.keys.max()!
        let handles: [OpaquePointer?] = (0...last).map { advanced[$0]?.handle }
        return wrap(mt_index(result.handle, handles, Int64(handles.count)), "index of \(shape)")
    }

    func indexAssign(_ items: [TensorIndex], _ value: Tensor) {
        if items.contains(where: { if case .tensor = $0 { return true }; return false }) {
            precondition(items.count == 1, "assignment through tensor indices supports a single index tensor")
            guard case .tensor(let idx) = items[0] else { return }
            check(mt_index_put_(handle, [idx.handle], 1, value.handle, false), "index_put_")
            return
        }
        index(items).copy_(value)
    }

    /// x[i0, i1, …] = values, in place (torch's index_put_): one int64 index tensor per leading dimension, nil for a
    /// whole dimension (`:`); `values` broadcasts to the shape x[i0, i1, …] has under advanced indexing.
    public func indexPut_(_ indices: [Tensor?], _ values: Tensor, accumulate: Bool = false) {
        check(mt_index_put_(handle, indices.map { $0?.handle }, Int64(indices.count), values.handle, accumulate), "index_put_ of \(shape)")
    }

    /// x.select(dim, i): removes `dim`, keeping slice i.
    public func select(dim: Int, index: Int) -> Tensor {
        wrap(mt_select(handle, Int64(dim), Int64(index)), "select(dim: \(dim), index: \(index)) of \(shape)")
    }
    /// x[..., start:end:step, ...] along `dim`; nil bounds mean the ends.
    public func slice(dim: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) -> Tensor {
        wrap(mt_slice(handle, Int64(dim), Int64(start ?? 0), Int64(end ?? Int(Int64.max)), Int64(step)),
             "slice(dim: \(dim)) of \(shape)")
    }
    public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
        wrap(mt_narrow(handle, Int64(dim), Int64(start), Int64(length)), "narrow of \(shape)")
    }
    public func indexSelect(dim: Int, index: Tensor) -> Tensor {
        wrap(mt_index_select(handle, Int64(dim), index.handle), "indexSelect of \(shape)")
    }
    public func gather(dim: Int, index: Tensor) -> Tensor {
        wrap(mt_gather(handle, Int64(dim), index.handle), "gather of \(shape) by \(index.shape)")
    }
    /// A copy of self with `src` written at `index` along `dim`.
    public func scatter(dim: Int, index: Tensor, src: Tensor) -> Tensor {
        wrap(mt_scatter(handle, Int64(dim), index.handle, src.handle), "scatter")
    }
    /// A copy of self with `src` added at `index` along `dim` (repeated indices accumulate).
    public func scatterAdd(dim: Int, index: Tensor, src: Tensor) -> Tensor {
        wrap(mt_scatter_add(handle, Int64(dim), index.handle, src.handle), "scatterAdd")
    }
    /// A copy of self with alpha * src's slices added at the positions `index` along `dim`.
    public func indexAdd(dim: Int, index: Tensor, source: Tensor, alpha: Double = 1) -> Tensor {
        wrap(mt_index_add(handle, Int64(dim), index.handle, source.handle, alpha), "indexAdd")
    }

    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) -> (values: Tensor, indices: Tensor) {
        var v: OpaquePointer?, i: OpaquePointer?
        if mt_topk(handle, Int64(k), Int64(dim), largest, sorted, &v, &i) != MT_OK {
            fail("topk(\(k)) of \(shape)"); return (.standIn(), .standIn())
        }
        return (Tensor(handle: v!), Tensor(handle: i!))
    }
    public func sort(dim: Int = -1, descending: Bool = false, stable: Bool = false) -> (values: Tensor, indices: Tensor) {
        var v: OpaquePointer?, i: OpaquePointer?
        if mt_sort(handle, Int64(dim), descending, stable, &v, &i) != MT_OK {
            fail("sort of \(shape)"); return (.standIn(), .standIn())
        }
        return (Tensor(handle: v!), Tensor(handle: i!))
    }
    public func argsort(dim: Int = -1, descending: Bool = false, stable: Bool = false) -> Tensor {
        wrap(mt_argsort(handle, Int64(dim), descending, stable), "argsort")
    }
    /// Distinct values (sorted) and how often each occurs.
    public func unique(sorted: Bool = true) -> (values: Tensor, counts: Tensor) {
        var v: OpaquePointer?, c: OpaquePointer?
        if mt_unique(handle, sorted, &v, &c) != MT_OK { fail("unique"); return (.standIn(), .standIn()) }
        return (Tensor(handle: v!), Tensor(handle: c!))
    }
    /// Counts of each non-negative integer value (torch.bincount).
    public func bincount(weights: Tensor? = nil, minLength: Int = 0) -> Tensor {
        wrap(mt_bincount(handle, weights?.handle, Int64(minLength)), "bincount")
    }
    /// int64 indices → one-hot int64 vectors with `numClasses` entries (-1 infers it).
    public func oneHot(numClasses: Int = -1) -> Tensor { wrap(mt_one_hot(handle, Int64(numClasses)), "oneHot") }
    /// Indices of non-zero elements, (count, ndim).
    public func nonzero() -> Tensor { wrap(mt_nonzero(handle), "nonzero") }
}

/// Rows of `weight` (num_embeddings, dim) picked by integer `indices` (torch.nn.functional.embedding).
public func embedding(_ indices: Tensor, weight: Tensor, paddingIndex: Int = -1) -> Tensor {
    wrap(mt_embedding(weight.handle, indices.handle, Int64(paddingIndex)), "embedding of \(indices.shape) in \(weight.shape)")
}

public enum EmbeddingBagMode: Sendable { case sum, mean, max }

/// Sums / means / maxes of bags of rows: bag i is indices[offsets[i] ..< offsets[i+1]].
public func embeddingBag(_ indices: Tensor, offsets: Tensor, weight: Tensor, mode: EmbeddingBagMode = .mean,
                         perSampleWeights: Tensor? = nil) -> Tensor {
    let m: mt_bag_mode = switch mode { case .sum: MT_BAG_SUM; case .mean: MT_BAG_MEAN; case .max: MT_BAG_MAX }
    return wrap(mt_embedding_bag(weight.handle, indices.handle, offsets.handle, m, perSampleWeights?.handle), "embeddingBag")
}
