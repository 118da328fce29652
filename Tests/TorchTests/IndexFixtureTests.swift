// IndexFixtureTests.swift — Fixtures/index.safetensors: index_select, gather, scatter, index_add,
// masked_fill, embeddings, one_hot, topk, sort, unique, bincount, advanced indexing.
import Testing
@testable import Torch

@Suite struct IndexFixtureTests {
    static let file = "index"
    static let ops: [String: FixtureOp] = [
        "index_select_dim0": { [$0[0].indexSelect(dim: 0, index: $0[1])] },
        "gather_dim1": { [$0[0].gather(dim: 1, index: $0[1])] },
        "scatter_dim1": { [$0[0].scatter(dim: 1, index: $0[1], src: $0[2])] },
        "scatter_add_dim1": { [$0[0].scatterAdd(dim: 1, index: $0[1], src: $0[2])] },
        "index_add_dim0": { [$0[0].indexAdd(dim: 0, index: $0[1], source: $0[2])] },
        "masked_fill": { [$0[0].maskedFill($0[1], -1.5)] },
        "embedding": { [embedding($0[1], weight: $0[0])] },
        "embedding_bag_mean": { [embeddingBag($0[1], offsets: $0[2], weight: $0[0], mode: .mean)] },
        "embedding_bag_sum": { [embeddingBag($0[1], offsets: $0[2], weight: $0[0], mode: .sum)] },
        "one_hot_5": { [$0[0].oneHot(numClasses: 5)] },
        "topk_2": { let t = $0[0].topk(2, dim: -1, largest: true, sorted: true); return [t.values, t.indices] },
        "sort_desc": { let s = $0[0].sort(dim: -1, descending: true); return [s.values, s.indices] },
        "argsort": { [$0[0].argsort(dim: -1)] },
        "unique": { let u = $0[0].unique(sorted: true); return [u.values, u.counts] },
        "bincount": { [$0[0].bincount(minLength: 6)] },
        "index_tensor": { [$0[0][$0[1]]] },
    ]

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: IndexFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
