// UnaryFixtureTests.swift — Fixtures/unary.safetensors: element-wise unary ops, forward and backward.
import Testing
@testable import Torch
import TorchChecks

@Suite struct UnaryFixtureTests {
    static let file = "unary"
    static let ops = OpFixtures.unary.ops   // the Swift expressions live in TorchChecks (mnemo check runs them on CUDA)

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: UnaryFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
