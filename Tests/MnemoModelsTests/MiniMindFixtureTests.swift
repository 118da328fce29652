// MiniMindFixtureTests.swift — MiniMind against PyTorch (scripts/make_minimind_fixtures.py; Fixtures/README.md):
// transformers' LlamaForCausalLM (GQA, tied) and Qwen2ForCausalLM (q/k/v biases, untied), MiniMind2's own model
// restated (interleaved RoPE) and the same weights with rotate-half RoPE, and MiniMind2's MoE in training mode
// with its balance loss; plus the two Hugging Face folders loaded by `HuggingFaceImport`.
// Tolerances (float32): logits and gradients |Δ| ≤ 2e-5 + 1e-3·|ref|, losses |Δ| ≤ 1e-5.
import Foundation
import Testing
@testable import MnemoModels
import MnemoSupport
@testable import Torch
import TorchNN

@Suite struct MiniMindFixtureTests {
    /// The fixture's config: its metadata's "config", Python's json.dumps of a dict.
    static func configJSON(_ meta: [String: String]) throws -> JSONValue {
        try JSONParser.parse(try #require(meta["config"]), options: .python)
    }

    /// MiniMind's LMConfig fields (the restatement's metadata) → MiniMindConfig.
    static func miniMindConfig(_ json: JSONValue) throws -> MiniMindConfig {
        func value<T>(_ key: String, _ read: KeyPath<JSONValue, T?>) throws -> T {
            try #require(json[key]?[keyPath: read], "the fixture's config has no \(T.self) \(key)")
        }
        var c = MiniMindConfig()
        c.dim = try value("dim", \.int); c.nLayers = try value("n_layers", \.int); c.nHeads = try value("n_heads", \.int)
        c.nKVHeads = try value("n_kv_heads", \.int); c.vocabSize = try value("vocab_size", \.int)
        c.hiddenDim = try value("hidden_dim", \.int); c.maxSeqLen = try value("max_seq_len", \.int)
        c.normEps = try value("norm_eps", \.double); c.ropeTheta = try value("rope_theta", \.double)
        c.ropeLayout = try #require(RopeLayout(rawValue: value("rope_layout", \.string))); c.useMoE = try value("use_moe", \.bool)
        if c.useMoE {
            c.nRoutedExperts = try value("n_routed_experts", \.int); c.numExpertsPerTok = try value("num_experts_per_tok", \.int)
            c.nSharedExperts = try json["n_shared_experts"]?.bool.map { $0 ? 1 : 0 } ?? value("n_shared_experts", \.int)
            c.auxLossAlpha = try value("aux_loss_alpha", \.double); c.seqAux = try value("seq_aux", \.bool)
            c.normTopkProb = try value("norm_topk_prob", \.bool)
        }
        return c
    }

    static func params(_ f: [String: Tensor]) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: f.filter { $0.key.hasPrefix("param.") }.map { (String($0.key.dropFirst(6)), $0.value) })
    }

    /// Loads `f`'s parameters into `model`, checks logits, CE loss (and the MoE balance loss) and every gradient
    /// of loss + auxiliary losses.
    static func check(_ model: MiniMind, _ f: [String: Tensor], file: String) throws {
        try model.loadHuggingFace(params(f))
        model.train()
        let idx = f["idx"]!, targets = f["targets"]!
        let out = model.forward(idx, targets: targets)
        #expect(close(out.logits, f["logits"]!), "\(file): logits differ by \(maxDiff(out.logits, f["logits"]!))")
        let ce = crossEntropy(out.logits.reshape([-1, out.logits.size(-1)]), targets.reshape([-1]))
        #expect(Swift.abs(ce.item() - f["loss"]!.item()) < 1e-5, "\(file): loss \(ce.item()) vs \(f["loss"]!.item())")
        var total = ce
        if let aux = f["aux_loss"] {
            let ours = try #require(out.auxiliaryLosses.first { $0.name == "moe_aux_loss" })
            #expect(Swift.abs(ours.value.item() - aux.item()) < 1e-6, "\(file): aux loss \(ours.value.item()) vs \(aux.item())")
            total = total + ours.value * ours.weight
            #expect(Swift.abs(total.item() - f["total_loss"]!.item()) < 1e-5)
        }
        total.backward()
        let grads = f.filter { $0.key.hasPrefix("grad.") }
        var compared = 0
        for (name, p) in model.namedParameters() {
            // a tied matrix is one parameter: PyTorch names its gradient after the embedding
            let key = grads["grad.\(name)"] != nil ? "grad.\(name)" : "grad.model.embed_tokens.weight"
            let want = try #require(grads[key], "\(file): no gradient for \(name)")
            let got = try #require(p.grad, "\(file): \(name) received no gradient")
            #expect(close(got, want), "\(file): gradient of \(name) differs by \(maxDiff(got, want))")
            compared += 1
        }
        #expect(compared == grads.count, "\(file): \(compared) gradients compared of \(grads.count)")
    }

    @Test(arguments: ["llama_gqa_tied", "qwen2_bias"])
    func transformersModelsMatch(file: String) throws {
        let (f, meta) = try fixture(file)
        let config = try MiniMind.huggingFaceConfig(try Self.configJSON(meta))
        #expect(config.ropeLayout == .rotateHalf && config.qkvBias == (file == "qwen2_bias"))
        #expect(config.tieEmbeddings == (file == "llama_gqa_tied") && config.nKVHeads == 2)
        try Self.check(MiniMind(config), f, file: file)
    }

    @Test(arguments: ["minimind_dense", "minimind_moe"])
    func miniMind2Matches(file: String) throws {
        let (f, meta) = try fixture(file)
        let model = MiniMind(try Self.miniMindConfig(Self.configJSON(meta)))
        try Self.check(model, f, file: file)
        if let last = f["logits_last"] {
            model.eval()
            let ours = model.lastLogits(f["idx"]!).unsqueeze(1)
            #expect(close(ours, last), "logits_last differ by \(maxDiff(ours, last))")
        }
    }

    /// The same weights with the other RoPE layout: the layouts differ (by up to 0.9) and each matches PyTorch's.
    @Test func rotateHalfLayoutMatches() throws {
        let (dense, meta) = try fixture("minimind_dense")
        let (rotated, _) = try fixture("minimind_dense_rotate_half")
        var config = try Self.miniMindConfig(Self.configJSON(meta))
        config.ropeLayout = .rotateHalf
        let model = MiniMind(config)
        try model.loadHuggingFace(Self.params(dense))
        let logits = model.forward(rotated["idx"]!, targets: nil).logits
        #expect(close(logits, rotated["logits"]!), "differ by \(maxDiff(logits, rotated["logits"]!))")
        #expect(maxDiff(logits, dense["logits"]!) > 0.1, "the two layouts must not agree")
    }

    /// MiniMind2's own state-dict names load too.
    @Test func miniMind2NamesLoad() throws {
        let (f, meta) = try fixture("minimind_moe")
        let back: [(String, String)] = [
            ("model.embed_tokens.", "tok_embeddings."), ("model.norm.", "norm."), (".self_attn.q_proj.", ".attention.wq."),
            (".self_attn.k_proj.", ".attention.wk."), (".self_attn.v_proj.", ".attention.wv."), (".self_attn.o_proj.", ".attention.wo."),
            (".input_layernorm.", ".attention_norm."), (".post_attention_layernorm.", ".ffn_norm."), (".mlp.", ".feed_forward."),
            (".gate_proj.", ".w1."), (".up_proj.", ".w3."), (".down_proj.", ".w2."), ("model.layers.", "layers."),
        ]
        var renamed: [String: Tensor] = [:]
        for (name, t) in Self.params(f) {
            var n = name
            for (new, old) in back { n = n.replacingOccurrences(of: new, with: old) }
            renamed[n] = t
        }
        #expect(renamed["layers.1.feed_forward.experts.2.w1.weight"] != nil && renamed["tok_embeddings.weight"] != nil)
        let model = MiniMind(try Self.miniMindConfig(Self.configJSON(meta)))
        try model.loadHuggingFace(renamed)
        let logits = model.forward(f["idx"]!, targets: f["targets"]!).logits
        #expect(close(logits, f["logits"]!))
    }

    @Test(arguments: [("hf_llama_tiny", "llama_gqa_tied"), ("hf_qwen2_tiny", "qwen2_bias")])
    func huggingFaceFoldersLoad(folder: String, reference: String) throws {
        let url = try #require(Bundle.module.url(forResource: folder, withExtension: nil, subdirectory: "Fixtures"))
        let spec = try HuggingFaceImport.spec(url.path)
        #expect(spec.name == "minimind")
        let model = try HuggingFaceImport.model(url.path)
        let (f, _) = try fixture(reference)
        let logits = model.forward(f["idx"]!, targets: nil).logits
        #expect(close(logits, f["logits"]!), "\(folder): logits differ by \(maxDiff(logits, f["logits"]!))")
    }
}
