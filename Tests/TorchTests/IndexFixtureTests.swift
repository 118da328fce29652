// IndexFixtureTests.swift — Fixtures/index.safetensors: index_select, gather, scatter, index_add,
// masked_fill, embeddings, one_hot, topk, sort, unique, bincount, advanced indexing.
import Testing
@testable import Torch
import TorchChecks

@Suite struct IndexFixtureTests {
    static let file = "index"
    static let ops = OpFixtures.index.ops   // the Swift expressions live in TorchChecks (mnemo check runs them on CUDA)

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: IndexFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
