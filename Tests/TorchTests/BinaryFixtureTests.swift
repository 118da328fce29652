// BinaryFixtureTests.swift — Fixtures/binary.safetensors: broadcasting arithmetic, scalar operands,
// comparisons, logic, where, integer arithmetic (floor division and remainder round toward −∞).
import Testing
@testable import Torch

@Suite struct BinaryFixtureTests {
    static let file = "binary"
    static let ops: [String: FixtureOp] = [
        "add": { [$0[0] + $0[1]] },
        "sub": { [$0[0] - $0[1]] },
        "mul": { [$0[0] * $0[1]] },
        "div": { [$0[0] / $0[1]] },
        "pow": { [$0[0] ** $0[1]] },
        "maximum": { [$0[0].maximum($0[1])] },
        "minimum": { [$0[0].minimum($0[1])] },
        "add_scalar": { [$0[0] + 2.5] },
        "rsub_scalar": { [2.5 - $0[0]] },
        "mul_scalar": { [$0[0] * 2.5] },
        "div_scalar": { [$0[0] / 2.5] },
        "rdiv_scalar": { [2.5 / $0[0]] },
        "pow_scalar": { [$0[0] ** 3.0] },
        "rpow_scalar": { [2.0 ** $0[0]] },
        "clamp": { [$0[0].clamp(min: -0.5, max: 0.5)] },
        "clamp_min": { [$0[0].clamp(min: 0.1)] },
        "eq": { [$0[0] .== $0[1]] },
        "ne": { [$0[0] .!= $0[1]] },
        "lt": { [$0[0] .< $0[1]] },
        "le": { [$0[0] .<= $0[1]] },
        "gt": { [$0[0] .> $0[1]] },
        "ge": { [$0[0] .>= $0[1]] },
        "logical_and": { [$0[0].logicalAnd($0[1])] },
        "logical_or": { [$0[0].logicalOr($0[1])] },
        "logical_not": { [$0[0].logicalNot()] },
        "where": { [Torch.where($0[0], $0[1], $0[2])] },
        "add_int": { [$0[0] + $0[1]] },
        "floor_divide_int": { [$0[0].floorDivide(3)] },
        "remainder_int": { [$0[0] % 3] },
    ]

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: BinaryFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
