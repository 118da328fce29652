// ReduceFixtureTests.swift — Fixtures/reduce.safetensors: sums, means, extrema with indices, arg-extrema,
// logsumexp, variance / std, vector norms, prod, cumsum.
import Testing
@testable import Torch
import TorchChecks

@Suite struct ReduceFixtureTests {
    static let file = "reduce"
    static let ops = OpFixtures.reduce.ops   // the Swift expressions live in TorchChecks (mnemo check runs them on CUDA)

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: ReduceFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
