// MatmulFixtureTests.swift — Fixtures/matmul.safetensors: matmul (2-D, batched, matrix–vector), bmm, linear.
import Testing
@testable import Torch

@Suite struct MatmulFixtureTests {
    static let file = "matmul"
    static let ops: [String: FixtureOp] = [
        "matmul_2d": { [$0[0].matmul($0[1])] },
        "matmul_batched": { [$0[0].matmul($0[1])] },
        "matmul_vec": { [$0[0].matmul($0[1])] },
        "bmm": { [$0[0].bmm($0[1])] },
        "linear": { [linear($0[0], weight: $0[1], bias: $0[2])] },
        "linear_nobias": { [linear($0[0], weight: $0[1])] },
        "matmul_f64": { [$0[0].matmul($0[1])] },
    ]

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: MatmulFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
