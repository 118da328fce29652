// Tensor+Reduction.swift — sums, means, extrema, norms and statistics over chosen dimensions.
//
// `dims: nil` (the default) reduces over every element. Negative dims count from the end.
import CTorch

extension Tensor {
    @inline(__always) func reduce(_ op: mt_reduce_op, _ dims: [Int]?, _ keepDim: Bool, _ name: String) -> Tensor {
        let d = (dims ?? []).map(Int64.init)
        return wrap(mt_reduce(op, handle, d, Int64(d.count), keepDim), "\(name) over \(dims ?? []) of \(shape)")
    }

    public func sum(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce(MT_SUM, dims, keepDim, "sum") }
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { sum(dims: [dim], keepDim: keepDim) }
    public func mean(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce(MT_MEAN, dims, keepDim, "mean") }
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { mean(dims: [dim], keepDim: keepDim) }
    public func prod() -> Tensor { reduce(MT_PROD, nil, false, "prod") }
    public func prod(dim: Int, keepDim: Bool = false) -> Tensor { reduce(MT_PROD, [dim], keepDim, "prod") }
    /// Largest value over `dims` (no indices; gradient spread evenly over ties, as torch.amax).
    public func amax(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce(MT_AMAX, dims, keepDim, "amax") }
    public func amin(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce(MT_AMIN, dims, keepDim, "amin") }
    /// log(sum(exp(x))) computed stably.
    public func logsumexp(dims: [Int], keepDim: Bool = false) -> Tensor { reduce(MT_LOGSUMEXP, dims, keepDim, "logsumexp") }
    public func logsumexp(dim: Int, keepDim: Bool = false) -> Tensor { logsumexp(dims: [dim], keepDim: keepDim) }
    public func all(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce(MT_ALL, dims, keepDim, "all") }
    public func any(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor { reduce(MT_ANY, dims, keepDim, "any") }
    /// Sum accumulated and returned in `dtype` (e.g. counting a bool mask).
    public func sum(dtype: DType) -> Tensor { wrap(mt_sum_to_dtype(handle, dtype.raw), "sum(dtype:)") }

    /// Variance with Bessel's `correction` (1 = unbiased, torch's default; 0 = population).
    public func variance(dims: [Int]? = nil, correction: Double = 1, keepDim: Bool = false) -> Tensor {
        let d = (dims ?? []).map(Int64.init)
        return wrap(mt_var(handle, d, Int64(d.count), correction, keepDim), "var")
    }
    public func std(dims: [Int]? = nil, correction: Double = 1, keepDim: Bool = false) -> Tensor {
        let d = (dims ?? []).map(Int64.init)
        return wrap(mt_std(handle, d, Int64(d.count), correction, keepDim), "std")
    }
    /// Vector p-norm over `dims` (torch.linalg.vector_norm).
    public func norm(p: Double = 2, dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        let d = (dims ?? []).map(Int64.init)
        return wrap(mt_norm(handle, p, d, Int64(d.count), keepDim), "norm")
    }

    /// Largest element of the whole tensor.
    public func max() -> Tensor { amax() }
    public func min() -> Tensor { amin() }
    /// Largest values along `dim` and their indices (torch.max(x, dim)).
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        var v: OpaquePointer?, i: OpaquePointer?
        let status = mt_max_dim(handle, Int64(dim), keepDim, &v, &i)
        if status != MT_OK { fail("max(dim: \(dim)) of \(shape)"); return (.standIn(), .standIn()) }
        return (Tensor(handle: v!), Tensor(handle: i!))
    }
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        var v: OpaquePointer?, i: OpaquePointer?
        let status = mt_min_dim(handle, Int64(dim), keepDim, &v, &i)
        if status != MT_OK { fail("min(dim: \(dim)) of \(shape)"); return (.standIn(), .standIn()) }
        return (Tensor(handle: v!), Tensor(handle: i!))
    }
    /// Index of the largest value along `dim`, or in the flattened tensor when `dim` is nil.
    public func argmax(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        wrap(mt_argmax(handle, Int64(dim ?? 0), dim != nil, keepDim), "argmax")
    }
    public func argmin(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        wrap(mt_argmin(handle, Int64(dim ?? 0), dim != nil, keepDim), "argmin")
    }
    public func cumsum(dim: Int) -> Tensor { wrap(mt_cumsum(handle, Int64(dim)), "cumsum") }
}
