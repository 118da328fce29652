// NNFixtureTests.swift — Fixtures/nn.safetensors: softmax, layer / RMS norm, scaled dot-product attention
// (causal, bool and additive masks, grouped-query), a linear–gelu–linear chain.
import Testing
@testable import Torch

@Suite struct NNFixtureTests {
    static let file = "nn"
    static let ops: [String: FixtureOp] = [
        "softmax_last": { [$0[0].softmax(dim: -1)] },
        "log_softmax_last": { [$0[0].logSoftmax(dim: -1)] },
        "softmax_dim1": { [$0[0].softmax(dim: 1)] },
        "layer_norm": { [layerNorm($0[0], normalizedShape: [8], weight: $0[1], bias: $0[2], eps: 1e-5)] },
        "layer_norm_nobias": { [layerNorm($0[0], normalizedShape: [8], weight: $0[1], eps: 1e-5)] },
        "layer_norm_noaffine": { [layerNorm($0[0], normalizedShape: [8], eps: 1e-5)] },
        "rms_norm": { [rmsNorm($0[0], normalizedShape: [8], weight: $0[1], eps: 1e-6)] },
        "sdpa_causal": { [scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true)] },
        "sdpa_mask_bool": { [scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3])] },
        "sdpa_mask_float": { [scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: $0[3])] },
        "sdpa_gqa": {
            [scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true, enableGQA: true)]
        },
        "linear_gelu_chain": { [linear(linear($0[0], weight: $0[1], bias: $0[2]).gelu(), weight: $0[3])] },
    ]

    @Test func tableCoversEveryCase() throws { try checkFixtureCoverage(Self.file, Self.ops) }

    @Test(arguments: NNFixtureTests.ops.keys.sorted())
    func matchesPyTorch(_ name: String) throws { try checkFixtureCase(Self.file, name, Self.ops[name]) }
}
