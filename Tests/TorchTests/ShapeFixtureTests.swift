// ShapeFixtureTests.swift — Fixtures/shape.safetensors: reshape, permute, cat / stack / split / chunk,
// expand, repeat, triangles, slicing and selecting.
import Testing
@testable import Torch
import TorchChecks

@Suite struct ShapeFixtureTests {
    static let file = "shape"
    static let ops = OpFixtures.shape.ops   // the Swift expressions live in TorchChecks (mnemo check runs them on CUDA)

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: ShapeFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
