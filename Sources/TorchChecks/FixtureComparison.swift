// FixtureComparison.swift — PyTorch reference fixtures (safetensors files written by scripts/make_*fixtures.py)
// and the element-wise comparison every fixture check uses: dtype, shape, then values within a tolerance,
// reporting the worst element of a mismatch.
import Foundation
import Torch

/// |got − want| ≤ atol + rtol · |want| element-wise.
public struct Tolerance: Sendable, CustomStringConvertible {
    public var atol: Double
    public var rtol: Double
    public init(atol: Double, rtol: Double) { self.atol = atol; self.rtol = rtol }

    /// References are CPU results with one thread; other thread counts and kernels differ in the last bits.
    public static let float32 = Tolerance(atol: 1e-5, rtol: 1e-4)
    public static let float64 = Tolerance(atol: 1e-10, rtol: 1e-10)
    public static let exact = Tolerance(atol: 0, rtol: 0)

    public static func `default`(for dtype: DType) -> Tolerance {
        switch dtype {
        case .float64: .float64
        case .float32: .float32
        case .bfloat16, .float16: Tolerance(atol: 1e-2, rtol: 1e-2)
        default: .exact
        }
    }
    public var description: String { "atol \(atol), rtol \(rtol)" }
}

/// One fixture file: its tensors and metadata.
public struct Fixture {
    public let name: String
    public let tensors: [String: Tensor]
    public let metadata: [String: String]

    /// Loads `path` (a .safetensors file); the fixture's name is the file's name without extension.
    public init(path: String) throws {
        name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        (tensors, metadata) = try SafeTensorsIO.loadWithMetadata(path)
    }

    /// The case names of the `cases` metadata, in file order.
    public var cases: [String] {
        (metadata["cases"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func tensor(_ key: String) throws -> Tensor {
        guard let t = tensors[key] else { throw TorchError("\(name).safetensors has no tensor \(key)") }
        return t
    }

    /// `prefix0`/`prefix1`… (or `prefix`, `prefix1`… when `firstBare`) until the first missing one.
    public func numbered(_ prefix: String, firstBare: Bool = false) -> [Tensor] {
        var out: [Tensor] = []
        while true {
            let i = out.count
            let key = (firstBare && i == 0) ? prefix : "\(prefix)\(i)"
            guard let t = tensors[key] else { return out }
            out.append(t)
        }
    }
}

/// Compares `got` (any device) with `want`: dtype, shape, then values within `tolerance`. Nil when they agree,
/// else a message naming the worst element.
public func mismatch(_ got: Tensor, _ want: Tensor, tolerance: Tolerance) -> String? {
    let got = got.device == .cpu ? got : got.to(.cpu)
    if got.dtype != want.dtype { return "dtype \(got.dtype), want \(want.dtype)" }
    if got.shape != want.shape { return "shape \(got.shape), want \(want.shape)" }
    let shape = want.shape
    func position(_ flat: Int) -> [Int] {
        var rest = flat
        var idx = [Int](repeating: 0, count: shape.count)
        for d in shape.indices.reversed() where shape[d] > 0 {
            idx[d] = rest % shape[d]
            rest /= shape[d]
        }
        return idx
    }
    if want.dtype.isFloatingPoint {
        let g = got.detached().toArray(Double.self), w = want.toArray(Double.self)
        var worst = -1, worstExcess = 0.0, worstDiff = 0.0, maxDiff = 0.0, bad = 0
        for i in w.indices {
            if g[i].isNaN && w[i].isNaN { continue }
            let diff = Swift.abs(g[i] - w[i])
            let allowed = tolerance.atol + tolerance.rtol * Swift.abs(w[i])
            if diff.isNaN || diff > allowed {
                bad += 1
                let excess = diff.isNaN ? .infinity : diff - allowed
                if worst < 0 || excess > worstExcess { worst = i; worstExcess = excess; worstDiff = diff }
            }
            if diff > maxDiff || diff.isNaN { maxDiff = diff }
        }
        guard worst >= 0 else { return nil }
        return "\(bad) of \(w.count) elements outside \(tolerance) (shape \(shape), max |Δ| \(maxDiff)); worst at "
            + "\(position(worst)): got \(g[worst]), want \(w[worst]), |Δ| \(worstDiff)"
    }
    if want.dtype == .bool {
        let g = got.toArray(Bool.self), w = want.toArray(Bool.self)
        guard let i = w.indices.first(where: { g[$0] != w[$0] }) else { return nil }
        let bad = w.indices.filter { g[$0] != w[$0] }.count
        return "\(bad) of \(w.count) elements differ (shape \(shape)); first at \(position(i)): got \(g[i]), want \(w[i])"
    }
    let g = got.toArray(Int64.self), w = want.toArray(Int64.self)
    guard let i = w.indices.first(where: { g[$0] != w[$0] }) else { return nil }
    let bad = w.indices.filter { g[$0] != w[$0] }.count
    return "\(bad) of \(w.count) elements differ (shape \(shape)); first at \(position(i)): got \(g[i]), want \(w[i])"
}

/// The largest |got − want| over floating-point elements (0 for exact dtypes that agree); nil if shapes differ.
public func maxAbsoluteDifference(_ got: Tensor, _ want: Tensor) -> Double? {
    let got = got.device == .cpu ? got : got.to(.cpu)
    guard got.shape == want.shape, want.dtype.isFloatingPoint, got.dtype.isFloatingPoint else { return nil }
    let g = got.detached().toArray(Double.self), w = want.toArray(Double.self)
    return zip(g, w).reduce(0.0) { worst, pair in
        if pair.0.isNaN && pair.1.isNaN { return worst }
        let d = Swift.abs(pair.0 - pair.1)
        return d.isNaN ? .infinity : Swift.max(worst, d)
    }
}
