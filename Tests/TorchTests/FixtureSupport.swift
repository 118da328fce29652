// FixtureSupport.swift — runs the PyTorch reference cases of Fixtures/*.safetensors against Torch, through
// TorchChecks (the same runner `mnemo check` uses on CUDA), and records each disagreement as a test issue.
//
// A case `C` of an op file (see Fixtures/README.md) stores inputs `C.in0`, `C.in1`…, outputs `C.out`,
// `C.out1`…, and for differentiable cases a cotangent `C.cot` and gradients `C.gradI` of
// `(C.out * C.cot).sum()`. The harness loads the inputs (as leaves requiring grad where `C.gradI` exists),
// runs the Swift expression of the test table, compares every output and gradient (dtype, shape, values) and
// reports the worst element of a mismatch. It never runs Python and never touches the global generator.
import Foundation
import Testing
@testable import Torch
import TorchChecks

/// A fixture of the test resources by name (Fixtures/NAME.safetensors).
extension Fixture {
    init(_ name: String) throws {
        guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
            throw TorchError("fixture \(name).safetensors is not among the test resources (Fixtures/)")
        }
        try self.init(path: url.path)
    }
}

/// Runs case `name` of fixture `file` with `op` (TorchChecks' runner) and records an issue for every
/// disagreement. `tolerance` overrides the per-dtype default for this case (outputs and gradients).
@discardableResult
func checkFixtureCase(_ file: String, _ name: String, _ op: FixtureOp?, tolerance: Tolerance? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> FixtureCaseOutcome {
    guard let op else {
        Issue.record("\(file)/\(name): no Swift expression in the test table", sourceLocation: sourceLocation)
        return FixtureCaseOutcome()
    }
    let result = runFixtureCase(try Fixture(file), name, op, tolerance: tolerance)
    for problem in result.problems { Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation) }
    return result
}

/// Every case of the file's `cases` metadata has a Swift expression, every table entry names a case, and
/// every tensor of the file belongs to a listed case (so no fixture case is silently skipped).
func checkFixtureCoverage(_ file: String, _ table: [String: FixtureOp],
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    for problem in fixtureCoverageProblems(try Fixture(file), table) {
        Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
    }
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
        withKnownIssue { try checkFixtureCase("unary", "exp", { [$0[0].exp() + 1e-3] }) }
    }

    @Test func reportsAWrongGradient() throws {
        // Right values, gradient 1 instead of exp(x).
        withKnownIssue {
            try checkFixtureCase("unary", "exp", { x in [x[0].detached().exp() + (x[0] - x[0].detached())] })
        }
    }

    @Test func reportsAWrongDType() throws {
        withKnownIssue { try checkFixtureCase("unary", "exp", { [$0[0].exp().double()] }) }
    }

    @Test func reportsAWrongIndex() throws {
        withKnownIssue { try checkFixtureCase("reduce", "argmax_dim1", { [$0[0].argmin(dim: 1)] }) }
    }

    @Test func reportsAMissingOutput() throws {
        withKnownIssue { try checkFixtureCase("reduce", "max_dim1", { [$0[0].max(dim: 1).values] }) }
    }

    @Test func reportsAFailingExpression() throws {
        withKnownIssue { try checkFixtureCase("matmul", "matmul_2d", { [$0[0].matmul($0[0])] }) }
    }

    @Test func reportsAMissingTableEntry() throws {
        var table: [String: FixtureOp] = [:]
        for name in try Fixture("loss").cases.dropFirst() { table[name] = { $0 } }
        withKnownIssue { try checkFixtureCoverage("loss", table) }
    }
}
