// MiniMindTests.swift — MiniMind's shape, size and mixture of experts (numerics against PyTorch are in
// MiniMindFixtureTests once the fixtures exist).
import Foundation
import Testing
@testable import MnemoModels
@testable import Torch
import TorchNN

@Suite struct MiniMindTests {
    static func tiny(moe: Bool = false, layout: String = "interleaved") -> MiniMindConfig {
        var c = MiniMindConfig()
        c.dim = 32; c.nLayers = 2; c.nHeads = 4; c.nKVHeads = 2; c.vocabSize = 64; c.maxSeqLen = 16
        c.useMoE = moe; c.ropeLayout = RopeLayout(rawValue: layout)!
        return c
    }

    @Test func miniMind2HasItsPublishedSize() {
        let config = MiniMindConfig.defaults
        #expect(config.feedForwardDim == 1408)
        let model = MiniMind(config)
        #expect(model.parameterCount == 25_829_888)
        #expect(model.stateDict()["lm_head.weight"] != nil && model.stateDict()["model.embed_tokens.weight"] != nil)
        #expect(model.namedParameters().count == 1 + 8 * 9 + 1, "the tied matrix is one parameter")
    }

    @Test(arguments: ["interleaved", "rotate_half"], [false, true])
    func forwardShapesLastLogitsAndAuxLoss(layout: String, moe: Bool) throws {
        Random.seed(5)
        let model = MiniMind(Self.tiny(moe: moe, layout: layout))
        let idx = Tensor.randint(0, 64, [2, 10], generator: Generator(seed: 1))
        let out = model.forward(idx, targets: idx)
        #expect(out.logits.shape == [2, 10, 64])
        #expect(out.auxiliaryLosses.map(\.name) == (moe ? ["moe_aux_loss"] : []))
        if moe {
            let aux = out.auxiliaryLosses[0].value.item()
            #expect(aux > 0 && aux < 1, "α·Σ load·p is about α·(k) = 0.2 when balanced: \(aux)")
            #expect(out.metrics["moe_max_load"] != nil)
        }
        model.eval()
        let full = model.forward(idx, targets: nil).logits.select(dim: 1, index: -1)
        #expect((full - model.lastLogits(idx)).abs().max().item() < 1e-5)
        #expect(model.forward(idx, targets: nil).auxiliaryLosses.isEmpty, "no balance loss in evaluation")
    }

    /// Grouping tokens by expert computes what MiniMind's per-expert masking computes: Σ_k w_k · expert_k(x).
    @Test func expertsGroupedByTokenEqualTheDirectSum() throws {
        Random.seed(9)
        let config = Self.tiny(moe: true)
        let moe = MixtureOfExperts(config)
        let x = Tensor.randn([2, 7, 32], generator: Generator(seed: 2))
        let grouped = moe(x)
        let flat = x.reshape([14, 32])
        let scores = moe.gate(flat).softmax(dim: -1)
        let top = scores.topk(2, dim: -1)
        let w = top.values / top.values.sum(dim: -1, keepDim: true)
        var direct = moe.shared_experts[0](flat)
        let idx = top.indices.toArray(Int64.self)
        var rows: [Tensor] = []
        for n in 0..<14 {
            var row = Tensor.zeros([32])
            for j in 0..<2 { row = row + moe.experts[Int(idx[n * 2 + j])](flat[n]) * w[n, j] }
            rows.append(row)
        }
        direct = direct + stack(rows, dim: 0)
        #expect((grouped.reshape([14, 32]) - direct).abs().max().item() < 1e-5)
    }

    /// Under bf16 autocast the experts compute in bfloat16 while the residual stream stays float32 (found on the
    /// way to a GPU run: index_add refused to mix them).
    @Test func mixtureOfExpertsRunsUnderBFloat16Autocast() throws {
        Random.seed(4)
        let model = MiniMind(Self.tiny(moe: true))
        let idx = Tensor.randint(0, 64, [2, 8], generator: Generator(seed: 5))
        let out = try withError { withAutocast(device: .cpu, dtype: .bfloat16) { model.forward(idx, targets: idx) } }
        #expect(out.logits.shape == [2, 8, 64] && out.auxiliaryLosses.count == 1)
        let loss = crossEntropy(out.logits.float().reshape([-1, 64]), idx.reshape([-1])) + out.auxiliaryLosses[0].value
        try withError { loss.backward() }
        let named = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
        for name in ["model.layers.0.mlp.gate.weight", "model.layers.1.mlp.shared_experts.0.up_proj.weight", "model.embed_tokens.weight"] {
            #expect(named[name]?.grad != nil, "\(name) has no gradient")   // (an expert may get no token of 16)
        }
    }

    @Test func miniMindNamesMapToHuggingFaceNames() {
        let cases = [
            ("tok_embeddings.weight", "model.embed_tokens.weight"), ("norm.weight", "model.norm.weight"),
            ("output.weight", "lm_head.weight"), ("layers.3.attention.wq.weight", "model.layers.3.self_attn.q_proj.weight"),
            ("layers.0.attention_norm.weight", "model.layers.0.input_layernorm.weight"),
            ("layers.1.ffn_norm.weight", "model.layers.1.post_attention_layernorm.weight"),
            ("layers.1.feed_forward.w2.weight", "model.layers.1.mlp.down_proj.weight"),
            ("layers.1.feed_forward.experts.3.w1.weight", "model.layers.1.mlp.experts.3.gate_proj.weight"),
            ("layers.1.feed_forward.gate.weight", "model.layers.1.mlp.gate.weight"),
        ]
        for (mini, hf) in cases { #expect(MiniMind.hfName(fromMiniMind: mini) == hf, "\(mini)") }
        #expect(MiniMind.hfName(fromMiniMind: "model.norm.weight") == nil)
    }

    @Test func badSettingsSayWhatToFix() throws {
        var c = Self.tiny()
        c.nKVHeads = 3
        #expect(c.problems().contains { $0.contains("multiple of n_kv_heads") })
        var spec = try ModelSpec("minimind")
        #expect { try spec.set("rope_layout", CommandLineText("spiral"), source: "--set rope_layout") } throws: {
            "\($0)".contains("'rope_layout' must be one of interleaved, rotate_half, got spiral")
        }
        c = Self.tiny(moe: true); c.numExpertsPerTok = 9
        #expect(c.problems().contains { $0.contains("num_experts_per_tok") })
    }
}
