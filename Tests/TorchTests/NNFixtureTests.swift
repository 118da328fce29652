// NNFixtureTests.swift — Fixtures/nn.safetensors: softmax, layer / RMS norm, scaled dot-product attention
// (causal, bool and additive masks, grouped-query), a linear–gelu–linear chain.
import Testing
@testable import Torch
import TorchChecks

@Suite struct NNFixtureTests {
    static let file = "nn"
    static let ops = OpFixtures.nn.ops   // the Swift expressions live in TorchChecks (mnemo check runs them on CUDA)

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: NNFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
