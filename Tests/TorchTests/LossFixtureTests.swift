// LossFixtureTests.swift — Fixtures/loss.safetensors: cross-entropy (mean, sum, none, label smoothing,
// (N, C, d) logits), nll, KL divergence (batchmean, log target), mean squared error.
import Testing
@testable import Torch
import TorchChecks

@Suite struct LossFixtureTests {
    static let file = "loss"
    static let ops = OpFixtures.loss.ops   // the Swift expressions live in TorchChecks (mnemo check runs them on CUDA)

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: LossFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
