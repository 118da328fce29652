// MatmulFixtureTests.swift — Fixtures/matmul.safetensors: matmul (2-D, batched, matrix–vector), bmm, linear.
import Testing
@testable import Torch
import TorchChecks

@Suite struct MatmulFixtureTests {
    static let file = "matmul"
    static let ops = OpFixtures.matmul.ops   // the Swift expressions live in TorchChecks (mnemo check runs them on CUDA)

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: MatmulFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
