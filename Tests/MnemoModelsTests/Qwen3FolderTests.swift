// Qwen3FolderTests.swift — a Hugging Face Qwen3 folder (q_norm and k_norm per head, head_dim 16 where hidden / heads is
// 12, tied embeddings) against transformers' logits (scripts/make_hf_folder_fixtures.py), and the way back through
// export, also from MiniMind's interleaved RoPE layout (the per-head norms are permuted with q and k).
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoSupport
@testable import Torch

@Suite struct Qwen3FolderTests {
    func logits(of model: any LanguageModel, _ idx: Tensor) -> Tensor {
        model.eval()
        return withNoGrad { model.forward(idx, targets: nil).logits }
    }

    @Test func aQwen3FolderGivesTransformersLogitsAndExportsBack() throws {
        let dir = try #require(Bundle.module.url(forResource: "hf_qwen3_tiny", withExtension: nil, subdirectory: "Fixtures")).path
        let reference = try SafeTensorsIO.load("\(dir)/reference.safetensors")
        let model = try HuggingFaceImport.model(dir)
        let mini = try #require(model as? MiniMind)
        #expect(mini.config.qkNorm && mini.config.headDim == 16 && mini.config.dim == 48 && mini.config.tieEmbeddings)
        #expect(mini.namedParameters().contains { $0.name == "model.layers.1.self_attn.k_norm.weight" })
        let got = logits(of: model, reference["idx"]!)
        #expect((got - reference["logits"]!).abs().max().item() < 2e-5)

        let out = FileManager.default.temporaryDirectory.appendingPathComponent("qwen3-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try HuggingFaceExport.write(model, to: out)
        #expect(try HuggingFaceFolder.configJSON(out)["model_type"]?.string == "qwen3")
        #expect((logits(of: try HuggingFaceImport.model(out), reference["idx"]!) - got).abs().max().item() == 0)
    }

    @Test func anInterleavedMiniMindWithQKNormExportsWithItsNormsPermuted() throws {
        var c = MiniMindConfig()
        c.dim = 32; c.nLayers = 1; c.nHeads = 2; c.nKVHeads = 1; c.vocabSize = 40; c.maxSeqLen = 16
        c.qkNorm = true; c.headDimSetting = 12
        let model = MiniMind(c)
        withNoGrad {
            for (name, p) in model.namedParameters() where name.contains("_norm.") {
                p.copy_(Tensor.randn(p.shape, generator: Generator(seed: UInt64(name.count))) * 0.5 + 1)
            }
        }
        let idx = Tensor([Int64](0..<10).map { $0 * 3 % 40 }, shape: [1, 10])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("qwen3-mini-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try HuggingFaceExport.write(model, to: out)
        let back = try HuggingFaceImport.model(out)
        #expect((logits(of: back, idx) - logits(of: model, idx)).abs().max().item() < 1e-5)
    }
}
