// BinaryFixtureTests.swift — Fixtures/binary.safetensors: broadcasting arithmetic, scalar operands,
// comparisons, logic, where, integer arithmetic (floor division and remainder round toward −∞).
import Testing
@testable import Torch
import TorchChecks

@Suite struct BinaryFixtureTests {
    static let file = "binary"
    static let ops = OpFixtures.binary.ops   // the Swift expressions live in TorchChecks (mnemo check runs them on CUDA)

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: BinaryFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
