// FixtureSupport.swift — runs the PyTorch reference cases of Fixtures/*.safetensors against Torch.
//
// A case `C` of an op file (see Fixtures/README.md) stores inputs `C.in0`, `C.in1`…, outputs `C.out`,
// `C.out1`…, and for differentiable cases a cotangent `C.cot` and gradients `C.gradI` of
// `(C.out * C.cot).sum()`. The harness loads the inputs (as leaves requiring grad where `C.gradI` exists),
// runs the Swift expression of the test table, compares every output and gradient (dtype, shape, values) and
// reports the worst element of a mismatch. It never runs Python and never touches the global generator.
import Foundation
import Testing
@testable import Torch

/// The Swift side of one case: the inputs in the fixture's order in, the outputs in the fixture's order out.
typealias FixtureOp = @Sendable ([Tensor]) -> [Tensor]

/// |got − want| ≤ atol + rtol · |want| element-wise.
struct Tolerance: Sendable, CustomStringConvertible {
    var atol: Double
    var rtol: Double

    /// References are CPU results with one thread; other thread counts and kernels differ in the last bits.
    static let float32 = Tolerance(atol: 1e-5, rtol: 1e-4)
    static let float64 = Tolerance(atol: 1e-10, rtol: 1e-10)
    static let exact = Tolerance(atol: 0, rtol: 0)

    static func `default`(for dtype: DType) -> Tolerance {
        switch dtype {
        case .float64: .float64
        case .float32: .float32
        case .bfloat16, .float16: Tolerance(atol: 1e-2, rtol: 1e-2)
        default: .exact
        }
    }
    var description: String { "atol \(atol), rtol \(rtol)" }
}

/// One fixture file: its tensors and metadata.
struct Fixture {
    let name: String
    let tensors: [String: Tensor]
    let metadata: [String: String]

    init(_ name: String) throws {
        guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
            throw TorchError("fixture \(name).safetensors is not among the test resources (Fixtures/)")
        }
        self.name = name
        (tensors, metadata) = try SafeTensorsIO.loadWithMetadata(url.path)
    }

    /// The case names of the `cases` metadata, in file order.
    var cases: [String] {
        (metadata["cases"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func tensor(_ key: String) throws -> Tensor {
        guard let t = tensors[key] else { throw TorchError("\(name).safetensors has no tensor \(key)") }
        return t
    }

    /// `prefix0`/`prefix1`… (or `prefix`, `prefix1`… when `firstBare`) until the first missing one.
    func numbered(_ prefix: String, firstBare: Bool = false) -> [Tensor] {
        var out: [Tensor] = []
        while true {
            let i = out.count
            let key = (firstBare && i == 0) ? prefix : "\(prefix)\(i)"
            guard let t = tensors[key] else { return out }
            out.append(t)
        }
    }
}

/// Compares `got` with `want`: dtype, shape, then values within `tolerance`. Nil when they agree, else a
/// message naming the worst element.
func mismatch(_ got: Tensor, _ want: Tensor, tolerance: Tolerance) -> String? {
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

/// What one case checked: how many outputs and gradients were compared.
struct FixtureCaseResult {
    var outputs = 0
    var gradients = 0
}

/// Runs case `name` of fixture `file` with `op` and records an issue for every disagreement.
/// `tolerance` overrides the per-dtype default for this case (outputs and gradients).
@discardableResult
func checkFixtureCase(_ file: String, _ name: String, _ op: FixtureOp?, tolerance: Tolerance? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> FixtureCaseResult {
    var result = FixtureCaseResult()
    guard let op else {
        Issue.record("\(file)/\(name): no Swift expression in the test table", sourceLocation: sourceLocation)
        return result
    }
    let fixture = try Fixture(file)
    #expect(fixture.cases.contains(name), "\(file)/\(name): not listed in the file's `cases` metadata",
            sourceLocation: sourceLocation)

    // Fresh leaves (the loaded tensors stay untouched); float inputs with a gradient key require grad.
    let inputs = fixture.numbered("\(name).in").map { $0.clone().detached() }
    try #require(!inputs.isEmpty, "\(file)/\(name): no inputs \(name).in0…", sourceLocation: sourceLocation)
    var gradKeys: [Int: String] = [:]
    for (i, input) in inputs.enumerated() where fixture.tensors["\(name).grad\(i)"] != nil {
        gradKeys[i] = "\(name).grad\(i)"
        #expect(input.dtype.isFloatingPoint, "\(file)/\(name): grad\(i) given for a \(input.dtype) input",
                sourceLocation: sourceLocation)
        input.requiresGrad = true
    }

    let expected = fixture.numbered("\(name).out", firstBare: true)
    try #require(!expected.isEmpty, "\(file)/\(name): no output \(name).out", sourceLocation: sourceLocation)
    let outputs: [Tensor]
    do {
        outputs = try withError { op(inputs) }
    } catch {
        Issue.record("\(file)/\(name): the Swift expression failed: \(error)", sourceLocation: sourceLocation)
        return result
    }
    #expect(outputs.count == expected.count,
            "\(file)/\(name): \(outputs.count) outputs, want \(expected.count)", sourceLocation: sourceLocation)
    for (i, (got, want)) in zip(outputs, expected).enumerated() {
        let key = i == 0 ? "out" : "out\(i)"
        let tol = tolerance ?? .default(for: want.dtype)
        let problem = mismatch(got, want, tolerance: tol)
        #expect(problem == nil, "\(file)/\(name).\(key): \(problem ?? "")", sourceLocation: sourceLocation)
        result.outputs += 1
    }

    guard !gradKeys.isEmpty else {
        #expect(fixture.tensors["\(name).cot"] == nil, "\(file)/\(name): a cotangent but no gradients",
                sourceLocation: sourceLocation)
        return result
    }
    let cot = try fixture.tensor("\(name).cot")
    guard let first = outputs.first, first.shape == cot.shape else {
        Issue.record("\(file)/\(name): cannot back-propagate, output shape differs from cot \(cot.shape)",
                     sourceLocation: sourceLocation)
        return result
    }
    do {
        try withError { (first * cot).sum().backward() }
    } catch {
        Issue.record("\(file)/\(name): backward failed: \(error)", sourceLocation: sourceLocation)
        return result
    }
    for (i, input) in inputs.enumerated() {
        guard let key = gradKeys[i] else {
            #expect(input.grad == nil, "\(file)/\(name): in\(i) has a gradient but the fixture none",
                    sourceLocation: sourceLocation)
            continue
        }
        let want = try fixture.tensor(key)
        guard let grad = input.grad else {
            Issue.record("\(file)/\(key): no gradient reached in\(i)", sourceLocation: sourceLocation)
            continue
        }
        let problem = mismatch(grad, want, tolerance: tolerance ?? .default(for: want.dtype))
        #expect(problem == nil, "\(file)/\(key): \(problem ?? "")", sourceLocation: sourceLocation)
        result.gradients += 1
    }
    return result
}

/// Every case of the file's `cases` metadata has a Swift expression, every table entry names a case, and
/// every tensor of the file belongs to a listed case (so no fixture case is silently skipped).
func checkFixtureCoverage(_ file: String, _ table: [String: FixtureOp],
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let fixture = try Fixture(file)
    let listed = fixture.cases
    try #require(!listed.isEmpty, "\(file).safetensors has no `cases` metadata", sourceLocation: sourceLocation)
    let missing = listed.filter { table[$0] == nil }
    #expect(missing.isEmpty, "\(file): cases without a Swift expression: \(missing)", sourceLocation: sourceLocation)
    let unknown = table.keys.filter { !listed.contains($0) }.sorted()
    #expect(unknown.isEmpty, "\(file): table entries that are not fixture cases: \(unknown)", sourceLocation: sourceLocation)
    let caseSet = Set(listed)
    let orphans = fixture.tensors.keys.filter { key in
        guard let dot = key.lastIndex(of: ".") else { return true }
        return !caseSet.contains(String(key[..<dot]))
    }.sorted()
    #expect(orphans.isEmpty, "\(file): tensors of no listed case: \(orphans)", sourceLocation: sourceLocation)
}

/// The harness itself: a wrong value, gradient, dtype, shape, index or output count must be reported.
@Suite struct FixtureHarnessTests {
    @Test func agreesWithItself() throws {
        let t = Tensor([1, 2, 3] as [Float])
        #expect(mismatch(t, t.clone(), tolerance: .exact) == nil)
        let off = mismatch(t + 1e-3, t, tolerance: .float32)
        #expect(off?.contains("max |Δ|") == true, "\(off ?? "nil")")
        #expect(mismatch(t, t.double(), tolerance: .float32)?.contains("dtype") == true)
        #expect(mismatch(t.reshape(3, 1), t, tolerance: .float32)?.contains("shape") == true)
        let ints = Tensor([1, 2, 3] as [Int64])
        #expect(mismatch(ints + 1, ints, tolerance: .exact)?.contains("3 of 3 elements differ") == true)
    }

    @Test func reportsAWrongValue() throws {
        try withKnownIssue { try checkFixtureCase("unary", "exp", { [$0[0].exp() + 1e-3] }) }
    }

    @Test func reportsAWrongGradient() throws {
        // Right values, gradient 1 instead of exp(x).
        try withKnownIssue {
            try checkFixtureCase("unary", "exp", { x in [x[0].detached().exp() + (x[0] - x[0].detached())] })
        }
    }

    @Test func reportsAWrongDType() throws {
        try withKnownIssue { try checkFixtureCase("unary", "exp", { [$0[0].exp().double()] }) }
    }

    @Test func reportsAWrongIndex() throws {
        try withKnownIssue { try checkFixtureCase("reduce", "argmax_dim1", { [$0[0].argmin(dim: 1)] }) }
    }

    @Test func reportsAMissingOutput() throws {
        try withKnownIssue { try checkFixtureCase("reduce", "max_dim1", { [$0[0].max(dim: 1).values] }) }
    }

    @Test func reportsAFailingExpression() throws {
        try withKnownIssue { try checkFixtureCase("matmul", "matmul_2d", { [$0[0].matmul($0[0])] }) }
    }

    @Test func reportsAMissingTableEntry() throws {
        var table: [String: FixtureOp] = [:]
        for name in try Fixture("loss").cases.dropFirst() { table[name] = { $0 } }
        try withKnownIssue { try checkFixtureCoverage("loss", table) }
    }
}
