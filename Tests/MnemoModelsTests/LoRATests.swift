// LoRATests.swift — LoRA against peft (scripts/make_lora_fixtures.py): a peft adapter loaded onto the tiny Llama gives
// peft's logits, loss and adapter gradients; Mnemo's own adapter folder reads back the same; merging folds the adapter
// into the weights without changing the function.
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoSupport
@testable import Torch
@testable import TorchNN

@Suite struct LoRATests {
    func fixtures(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")).path
    }

    @Test func aPeftAdapterGivesPeftsLogitsLossAndGradients() throws {
        let model = try HuggingFaceImport.model(try fixtures("hf_llama_tiny"))
        let adapter = try fixtures("lora_llama_tiny")
        try PEFTAdapter.load(adapter, into: model)
        let reference = try SafeTensorsIO.load("\(adapter)/reference.safetensors")
        #expect(PEFTAdapter.adapted(model).count == 4)   // q_proj and v_proj of 2 layers
        for (name, p) in model.namedParameters() where !name.contains(".lora_") { p.requiresGrad = false }
        model.train()
        let logits = model.forward(reference["idx"]!, targets: nil).logits
        #expect((logits.detached() - reference["logits"]!).abs().max().item() < 2e-5)
        let vocab = logits.size(-1)
        let loss = crossEntropy(logits.reshape([-1, vocab]), reference["targets"]!.reshape([-1]))
        #expect(Swift.abs(loss.item() - reference["loss"]!.item()) < 1e-5)
        loss.backward()
        var compared = 0
        for (name, p) in model.namedParameters() where name.contains(".lora_") {
            let want = try #require(reference["grad.\(name)"], "\(name)")
            let got = try #require(p.grad, "\(name) has a gradient")
            #expect((got - want).abs().max().item() <= 1e-5 + 1e-3 * want.abs().max().item(), "\(name)")
            compared += 1
        }
        #expect(compared == 8)
        #expect(model.namedParameters().filter { !$0.name.contains(".lora_") }.allSatisfy { $0.tensor.grad == nil })
    }

    @Test func mnemosAdapterFolderReadsBackAndMergingKeepsTheFunction() throws {
        let base = try fixtures("hf_llama_tiny")
        let model = try HuggingFaceImport.model(base)
        try PEFTAdapter.load(try fixtures("lora_llama_tiny"), into: model)
        model.eval()
        let idx = Tensor([Int64](0..<16).map { $0 * 5 % 64 }, shape: [2, 8])
        let want = withNoGrad { model.forward(idx, targets: nil).logits }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try PEFTAdapter.write(model, baseModel: base, to: out)
        let config = try JSONParser.parse(try String(contentsOfFile: "\(out)/adapter_config.json", encoding: .utf8))
        #expect(config["r"]?.int == 4 && config["lora_alpha"]?.double == 8 && config["peft_type"]?.string == "LORA")
        let again = try HuggingFaceImport.model(base)
        try PEFTAdapter.load(out, into: again)
        again.eval()
        #expect((withNoGrad { again.forward(idx, targets: nil).logits } - want).abs().max().item() == 0)
        PEFTAdapter.merge(again)
        #expect(PEFTAdapter.adapted(again).isEmpty && !again.namedParameters().contains { $0.name.contains(".lora_") })
        #expect((withNoGrad { again.forward(idx, targets: nil).logits } - want).abs().max().item() < 1e-5)
    }

    @Test func anInterleavedMiniMindsAdapterRoundTripsThroughPeftsLayout() throws {
        var c = MiniMindConfig()
        c.dim = 32; c.nLayers = 1; c.nHeads = 2; c.nKVHeads = 1; c.vocabSize = 40; c.maxSeqLen = 16
        let model = MiniMind(c)
        for (_, layer) in model.namedModules().compactMap({ e in (e.module as? Linear).map { (e.name, $0) } })
            where layer.outFeatures != 40 { layer.attachLoRA(rank: 2, alpha: 4) }
        withNoGrad { for (name, p) in model.namedParameters() where name.contains("lora_B") { p.copy_(Tensor.randn(p.shape) * 0.3) } }
        model.eval()
        let idx = Tensor([Int64](0..<10), shape: [1, 10])
        let want = withNoGrad { model.forward(idx, targets: nil).logits }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lora-mini-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try PEFTAdapter.write(model, baseModel: "base", to: out)
        let fresh = MiniMind(c)
        try fresh.load(stateDict: model.stateDict().filter { !$0.key.contains(".lora_") })
        try PEFTAdapter.load(out, into: fresh)
        fresh.eval()
        #expect((withNoGrad { fresh.forward(idx, targets: nil).logits } - want).abs().max().item() < 1e-6)
    }
}
