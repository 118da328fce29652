// ReduceFixtureTests.swift — Fixtures/reduce.safetensors: sums, means, extrema with indices, arg-extrema,
// logsumexp, variance / std, vector norms, prod, cumsum.
import Testing
@testable import Torch

@Suite struct ReduceFixtureTests {
    static let file = "reduce"
    static let ops: [String: FixtureOp] = [
        "sum_all": { [$0[0].sum()] },
        "sum_dim1": { [$0[0].sum(dim: 1)] },
        "sum_dim1_keepdim": { [$0[0].sum(dim: 1, keepDim: true)] },
        "sum_dims02": { [$0[0].sum(dims: [0, 2])] },
        "mean_all": { [$0[0].mean()] },
        "mean_dim0": { [$0[0].mean(dim: 0)] },
        "max_dim1": { let m = $0[0].max(dim: 1); return [m.values, m.indices] },
        "min_dim1": { let m = $0[0].min(dim: 1); return [m.values, m.indices] },
        "max_all": { [$0[0].max()] },
        "amax_dim2": { [$0[0].amax(dims: [2])] },
        "argmax_dim1": { [$0[0].argmax(dim: 1)] },
        "argmax_all": { [$0[0].argmax()] },
        "argmin_dim2": { [$0[0].argmin(dim: 2)] },
        "logsumexp_dim1": { [$0[0].logsumexp(dim: 1)] },
        "var_dim1": { [$0[0].variance(dims: [1], correction: 1)] },
        "var_dim1_biased": { [$0[0].variance(dims: [1], correction: 0)] },
        "std_dim1": { [$0[0].std(dims: [1], correction: 1)] },
        "var_all": { [$0[0].variance(correction: 1)] },
        "norm_all": { [$0[0].norm(p: 2)] },
        "norm_dim1_p1": { [$0[0].norm(p: 1, dims: [1])] },
        "prod_dim2": { [$0[0].prod(dim: 2)] },
        "cumsum_dim1": { [$0[0].cumsum(dim: 1)] },
    ]

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: ReduceFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
