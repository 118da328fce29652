// ShapeFixtureTests.swift — Fixtures/shape.safetensors: reshape, permute, cat / stack / split / chunk,
// expand, repeat, triangles, slicing and selecting.
import Testing
@testable import Torch

@Suite struct ShapeFixtureTests {
    static let file = "shape"
    static let ops: [String: FixtureOp] = [
        "reshape": { [$0[0].reshape(4, 15)] },
        "permute": { [$0[0].permute(2, 0, 1)] },
        "transpose_02": { [$0[0].transpose(0, 2)] },
        "flatten_12": { [$0[0].flatten(start: 1, end: 2)] },
        "unsqueeze_1": { [$0[0].unsqueeze(1)] },
        "squeeze": { [$0[0].squeeze(1)] },
        "cat_dim1": { [cat([$0[0], $0[1]], dim: 1)] },
        "stack_dim0": { [stack([$0[0], $0[1]], dim: 0)] },
        "split_2_dim1": { $0[0].split(2, dim: 1) },
        "chunk_2_dim0": { $0[0].chunk(2, dim: 0) },
        "expand": { [$0[0].expand([2, 3, 4])] },
        "repeat": { [$0[0].repeated([2, 1, 3])] },
        "tril": { [$0[0].tril()] },
        "triu_1": { [$0[0].triu(1)] },
        "tril_neg1": { [$0[0].tril(-1)] },
        "slice_dim1_1_4_2": { [$0[0][.all, .stride(1, 4, by: 2)]] },
        "select_0_1": { [$0[0][1]] },
        "narrow_dim1_1_2": { [$0[0].narrow(dim: 1, start: 1, length: 2)] },
        "contiguous_t": { [$0[0].T.contiguous()] },
    ]

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: ShapeFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
