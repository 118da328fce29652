// UnaryFixtureTests.swift — Fixtures/unary.safetensors: element-wise unary ops, forward and backward.
import Testing
@testable import Torch

@Suite struct UnaryFixtureTests {
    static let file = "unary"
    static let ops: [String: FixtureOp] = [
        "exp": { [$0[0].exp()] },
        "log": { [$0[0].log()] },
        "log1p": { [$0[0].log1p()] },
        "expm1": { [$0[0].expm1()] },
        "sqrt": { [$0[0].sqrt()] },
        "rsqrt": { [$0[0].rsqrt()] },
        "abs": { [$0[0].abs()] },
        "neg": { [-$0[0]] },
        "tanh": { [$0[0].tanh()] },
        "sigmoid": { [$0[0].sigmoid()] },
        "relu": { [$0[0].relu()] },
        "silu": { [$0[0].silu()] },
        "gelu": { [$0[0].gelu()] },
        "gelu_tanh": { [$0[0].gelu(approximate: true)] },
        "sin": { [$0[0].sin()] },
        "cos": { [$0[0].cos()] },
        "square": { [$0[0].square()] },
        "reciprocal": { [$0[0].reciprocal()] },
        "erf": { [$0[0].erf()] },
        "softplus": { [$0[0].softplus()] },
        "unary_f64_exp": { [$0[0].exp()] },
        "unary_f64_gelu": { [$0[0].gelu()] },
    ]

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: UnaryFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
