// Tensor.swift — the n-dimensional array: one libtorch tensor handle, owned and freed on deinit.
//
// Like torch.Tensor, a Tensor is a reference: views share storage, in-place ops are visible through every
// handle, and autograd history travels with it. Not Sendable: use one tensor from one thread at a time.
import CTorch

public final class Tensor {
    let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }
    deinit { mt_free(handle) }

    // MARK: metadata

    // A failed metadata call (on an undefined tensor: a failed op's stand-in) is reported like a failed op; inside
    // `withError` the answer is then a placeholder (no dimensions, no elements, float32, cpu, false) that no code
    // after it can trap on, such as a negative count.
    public var ndim: Int { dimensionCount("ndim") }
    public var shape: [Int] {
        let n = dimensionCount("shape")
        if n == 0 { return [] }
        var dims = [Int64](repeating: 0, count: n)
        if mt_shape(handle, &dims) != MT_OK { fail("shape"); return [] }
        return dims.map(Int.init)
    }
    public var strides: [Int] {
        let n = dimensionCount("strides")
        if n == 0 { return [] }
        var s = [Int64](repeating: 0, count: n)
        if mt_strides(handle, &s) != MT_OK { fail("strides"); return [] }
        return s.map(Int.init)
    }
    /// Size of one dimension; negative counts from the end.
    public func size(_ dim: Int) -> Int {
        let s = shape
        let d = dim < 0 ? dim + s.count : dim
        guard s.indices.contains(d) else {
            report(TorchError("size(\(dim)): no such dimension in shape \(s)"))
            return 0
        }
        return s[d]
    }
    public var count: Int {
        let n = mt_numel(handle)
        if n < 0 { fail("count"); return 0 }
        return Int(n)
    }
    /// A libtorch dtype with no DType (complex, uint16, float8 … made inside libtorch) is a failure naming it,
    /// never a guess: reading its bytes as float32 would be garbage.
    public var dtype: DType {
        guard let dtype = DType(raw: mt_get_dtype(handle)) else { fail("dtype"); return .float32 }
        return dtype
    }
    public var device: Device {
        let raw = mt_get_device(handle)
        if raw.index < 0 { fail("device"); return .cpu }
        return Device(raw: raw)
    }
    public var isContiguous: Bool { checked(mt_is_contiguous(handle), "isContiguous") }
    public var byteCount: Int { count * dtype.itemSize }
    /// True when both handles name the same tensor (not merely equal values).
    public func isSame(_ other: Tensor) -> Bool { checked(mt_same_tensor(handle, other.handle), "isSame") }
    /// False for the handle of an undefined tensor, which every op refuses.
    var isDefined: Bool { mt_defined(handle) }

    /// ndim, with failures reported as `what` (the accessor the caller asked for).
    private func dimensionCount(_ what: @autoclosure () -> String) -> Int {
        let n = mt_ndim(handle)
        if n < 0 { fail(what()); return 0 }
        return Int(n)
    }
}

// MARK: creation

extension Tensor {
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]? = nil, device: Device = .cpu) {
        let dims = (shape ?? [values.count]).map(Int64.init)
        precondition(dims.reduce(1, *) == Int64(values.count),
                     "Tensor(_:shape:): \(values.count) values do not fill shape \(shape ?? [])")
        let h = values.withUnsafeBytes { raw in
            mt_from_data(raw.baseAddress, dims, Int64(dims.count), T.dtype.raw, device.raw)
        }
        self.init(handle: h ?? failedHandle("Tensor(_:shape:)"))
    }

    /// A 0-d tensor holding one value.
    public convenience init<T: TensorElement>(_ value: T, device: Device = .cpu) {
        self.init([value], shape: [], device: device)
    }

    /// A tensor from a nested array of rows (2-D).
    public convenience init<T: TensorElement>(_ rows: [[T]], device: Device = .cpu) {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols }, "Tensor(rows): rows have different lengths")
        self.init(rows.flatMap { $0 }, shape: [rows.count, cols], device: device)
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        let dims = shape.map(Int64.init)
        return wrap(mt_zeros(dims, Int64(dims.count), dtype.raw, device.raw), "zeros(\(shape))")
    }
    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        let dims = shape.map(Int64.init)
        return wrap(mt_ones(dims, Int64(dims.count), dtype.raw, device.raw), "ones(\(shape))")
    }
    public static func empty(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        let dims = shape.map(Int64.init)
        return wrap(mt_empty(dims, Int64(dims.count), dtype.raw, device.raw), "empty(\(shape))")
    }
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        let dims = shape.map(Int64.init)
        return wrap(mt_full(dims, Int64(dims.count), value, dtype.raw, device.raw), "full(\(shape))")
    }
    public static func scalar(_ value: Double, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        wrap(mt_scalar(value, dtype.raw, device.raw), "scalar")
    }
    /// Values from `start` up to (not including) `end`, as torch.arange.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .int64,
                              device: Device = .cpu) -> Tensor {
        wrap(mt_arange(start, end, step, dtype.raw, device.raw), "arange(\(start), \(end), \(step))")
    }
    public static func arange(_ end: Int, dtype: DType = .int64, device: Device = .cpu) -> Tensor {
        arange(0, Double(end), dtype: dtype, device: device)
    }
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32,
                                device: Device = .cpu) -> Tensor {
        wrap(mt_linspace(start, end, Int64(steps), dtype.raw, device.raw), "linspace")
    }
    public static func eye(_ n: Int, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        wrap(mt_eye(Int64(n), dtype.raw, device.raw), "eye(\(n))")
    }
    public static func zeros(like t: Tensor) -> Tensor { wrap(mt_zeros_like(t.handle), "zeros(like:)") }
    public static func ones(like t: Tensor) -> Tensor { wrap(mt_ones_like(t.handle), "ones(like:)") }
}

// MARK: reading values

extension Tensor {
    /// The elements in row-major order, converted to `T` (any device, any layout).
    public func toArray<T: TensorElement>(_ type: T.Type = T.self) -> [T] {
        let source = dtype == T.dtype ? self : to(T.dtype)
        let n = source.count
        var out = [T](repeating: T.zeroValue, count: n)
        out.withUnsafeMutableBytes { raw in
            check(mt_copy_to(source.handle, raw.baseAddress, raw.count), "toArray")
        }
        return out
    }

    /// The single value of a one-element tensor. NaN when it fails (inside `withError`), so that a failed read
    /// cannot pass for a value: the shim answers 0.0, which looks like one.
    public func item() -> Double {
        let v = mt_item_double(handle)
        if mt_last_error() != nil { fail("item()"); return .nan }
        return v
    }
    public func item<T: TensorElement>(_ type: T.Type) -> T {
        let n = count
        guard n == 1 else {
            report(TorchError("item(\(T.self)): tensor has \(n) elements, not 1"))
            return T.zeroValue
        }
        return toArray(T.self).first ?? T.zeroValue
    }
    public func itemInt() -> Int {
        let v = mt_item_int64(handle)
        if mt_last_error() != nil { fail("itemInt()") }
        return Int(v)
    }

    /// Calls `body` with the raw bytes of a contiguous CPU copy (zero-copy when already so).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let dense = (device == .cpu && isContiguous) ? self : to(.cpu).contiguous()
        let base = mt_data_ptr(dense.handle)
        return try withExtendedLifetime(dense) {
            try body(UnsafeRawBufferPointer(start: base, count: dense.byteCount))
        }
    }
}

// MARK: conversion

extension Tensor {
    public func to(_ dtype: DType) -> Tensor {
        wrap(mt_to(handle, dtype.raw, device.raw, false), "to(\(dtype))")
    }
    public func to(_ device: Device) -> Tensor {
        wrap(mt_to(handle, dtype.raw, device.raw, false), "to(\(device))")
    }
    public func to(_ device: Device, _ dtype: DType) -> Tensor {
        wrap(mt_to(handle, dtype.raw, device.raw, false), "to(\(device), \(dtype))")
    }
    public func float() -> Tensor { to(.float32) }
    public func double() -> Tensor { to(.float64) }
    public func long() -> Tensor { to(.int64) }
    /// A copy with its own storage (autograd records it, as torch.clone).
    public func clone() -> Tensor { wrap(mt_clone(handle), "clone") }
    public func contiguous() -> Tensor { wrap(mt_contiguous(handle), "contiguous") }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        // A stand-in is described without asking the shim, which would report (or trap) for each question.
        guard isDefined else { return "Tensor(undefined: the stand-in result of a failed op)" }
        let head = "Tensor(shape: \(shape), dtype: \(dtype), device: \(device)"
        guard count <= 64 else { return head + ")" }
        let values: String
        if dtype.isFloatingPoint {
            values = toArray(Double.self).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        } else if dtype == .bool {
            values = toArray(Bool.self).map { $0 ? "true" : "false" }.joined(separator: ", ")
        } else {
            values = toArray(Int64.self).map(String.init).joined(separator: ", ")
        }
        return head + ", [\(values)])"
    }
}
