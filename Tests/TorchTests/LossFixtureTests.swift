// LossFixtureTests.swift — Fixtures/loss.safetensors: cross-entropy (mean, sum, none, label smoothing,
// (N, C, d) logits), nll, KL divergence (batchmean, log target), mean squared error.
import Testing
@testable import Torch

@Suite struct LossFixtureTests {
    static let file = "loss"
    static let ops: [String: FixtureOp] = [
        "cross_entropy": { [crossEntropy($0[0], $0[1])] },
        "cross_entropy_ls": { [crossEntropy($0[0], $0[1], labelSmoothing: 0.1)] },
        "cross_entropy_sum": { [crossEntropy($0[0], $0[1], reduction: .sum)] },
        "cross_entropy_none": { [crossEntropy($0[0], $0[1], reduction: .none)] },
        "cross_entropy_3d": { [crossEntropy($0[0], $0[1])] },
        "nll_loss": { [nllLoss($0[0], $0[1])] },
        "kl_div_batchmean": { [klDivergence($0[0], $0[1], reduction: .batchMean)] },
        "kl_div_log_target": { [klDivergence($0[0], $0[1], reduction: .batchMean, logTarget: true)] },
        "mse": { [mseLoss($0[0], $0[1])] },
        "mse_sum": { [mseLoss($0[0], $0[1], reduction: .sum)] },
    ]

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: LossFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
