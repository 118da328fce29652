// FixtureCase.swift — runs one case of an op fixture file (see Tests/TorchTests/Fixtures/README.md) on a device.
//
// A case `C` stores inputs `C.in0`, `C.in1`…, outputs `C.out`, `C.out1`…, and for differentiable cases a
// cotangent `C.cot` and gradients `C.gradI` of `(C.out * C.cot).sum()`. The runner loads the inputs onto the
// device (as leaves requiring grad where `C.gradI` exists), runs the Swift expression, compares every output
// and gradient with the CPU reference (dtype, shape, values) and lists every disagreement. It never touches
// the global generator. The Swift tests and `mnemo check` both use it.
import Torch

/// The Swift side of one case: the inputs in the fixture's order in, the outputs in the fixture's order out.
public typealias FixtureOp = @Sendable ([Tensor]) -> [Tensor]

/// What one case checked and what disagreed.
public struct FixtureCaseOutcome: Sendable {
    public var outputs = 0
    public var gradients = 0
    /// One line per disagreement ("name.out: …"); empty when the case agrees with PyTorch.
    public var problems: [String] = []
    /// The largest |Δ| over floating-point outputs and gradients (for reports).
    public var maxDifference = 0.0
    public var passed: Bool { problems.isEmpty }
    public init() {}
}

/// Runs case `name` of `fixture` with `op` on `device`. `tolerance` overrides the per-dtype default.
public func runFixtureCase(_ fixture: Fixture, _ name: String, _ op: FixtureOp, device: Device = .cpu,
                           tolerance: Tolerance? = nil) -> FixtureCaseOutcome {
    var result = FixtureCaseOutcome()
    let file = fixture.name
    if !fixture.cases.contains(name) { result.problems.append("\(file)/\(name): not listed in the file's `cases` metadata") }

    // Fresh leaves on the device (the loaded tensors stay untouched); float inputs with a gradient key require grad.
    let inputs = fixture.numbered("\(name).in").map { $0.clone().detached().to(device) }
    guard !inputs.isEmpty else {
        result.problems.append("\(file)/\(name): no inputs \(name).in0…")
        return result
    }
    var gradKeys: [Int: String] = [:]
    for (i, input) in inputs.enumerated() where fixture.tensors["\(name).grad\(i)"] != nil {
        gradKeys[i] = "\(name).grad\(i)"
        if !input.dtype.isFloatingPoint { result.problems.append("\(file)/\(name): grad\(i) given for a \(input.dtype) input") }
        input.requiresGrad = true
    }

    let expected = fixture.numbered("\(name).out", firstBare: true)
    guard !expected.isEmpty else {
        result.problems.append("\(file)/\(name): no output \(name).out")
        return result
    }
    let outputs: [Tensor]
    do {
        outputs = try withError { op(inputs) }
    } catch {
        result.problems.append("\(file)/\(name): the Swift expression failed: \(error)")
        return result
    }
    if outputs.count != expected.count {
        result.problems.append("\(file)/\(name): \(outputs.count) outputs, want \(expected.count)")
    }
    func compare(_ got: Tensor, _ want: Tensor, _ key: String) {
        if let problem = mismatch(got, want, tolerance: tolerance ?? .default(for: want.dtype)) {
            result.problems.append("\(file)/\(key): \(problem)")
        }
        if let d = maxAbsoluteDifference(got, want) { result.maxDifference = Swift.max(result.maxDifference, d) }
    }
    for (i, (got, want)) in zip(outputs, expected).enumerated() {
        compare(got, want, "\(name).\(i == 0 ? "out" : "out\(i)")")
        result.outputs += 1
    }

    guard !gradKeys.isEmpty else {
        if fixture.tensors["\(name).cot"] != nil { result.problems.append("\(file)/\(name): a cotangent but no gradients") }
        return result
    }
    guard let cot = fixture.tensors["\(name).cot"] else {
        result.problems.append("\(file)/\(name): gradients but no cotangent \(name).cot")
        return result
    }
    guard let first = outputs.first, first.shape == cot.shape else {
        result.problems.append("\(file)/\(name): cannot back-propagate, output shape differs from cot \(cot.shape)")
        return result
    }
    do {
        try withError { (first * cot.to(device)).sum().backward() }
    } catch {
        result.problems.append("\(file)/\(name): backward failed: \(error)")
        return result
    }
    for (i, input) in inputs.enumerated() {
        guard let key = gradKeys[i] else {
            if input.grad != nil { result.problems.append("\(file)/\(name): in\(i) has a gradient but the fixture none") }
            continue
        }
        guard let want = fixture.tensors[key] else { continue }
        guard let grad = input.grad else {
            result.problems.append("\(file)/\(key): no gradient reached in\(i)")
            continue
        }
        compare(grad, want, key)
        result.gradients += 1
    }
    return result
}

/// Every case of the file's `cases` metadata has a Swift expression, every table entry names a case, and every
/// tensor of the file belongs to a listed case (so no fixture case is silently skipped). Empty when complete.
public func fixtureCoverageProblems(_ fixture: Fixture, _ table: [String: FixtureOp]) -> [String] {
    let file = fixture.name
    let listed = fixture.cases
    guard !listed.isEmpty else { return ["\(file).safetensors has no `cases` metadata"] }
    var problems: [String] = []
    let missing = listed.filter { table[$0] == nil }
    if !missing.isEmpty { problems.append("\(file): cases without a Swift expression: \(missing)") }
    let unknown = table.keys.filter { !listed.contains($0) }.sorted()
    if !unknown.isEmpty { problems.append("\(file): table entries that are not fixture cases: \(unknown)") }
    let caseSet = Set(listed)
    let orphans = fixture.tensors.keys.filter { key in
        guard let dot = key.lastIndex(of: ".") else { return true }
        return !caseSet.contains(String(key[..<dot]))
    }.sorted()
    if !orphans.isEmpty { problems.append("\(file): tensors of no listed case: \(orphans)") }
    return problems
}
