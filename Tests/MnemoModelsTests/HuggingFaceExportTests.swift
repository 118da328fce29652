// HuggingFaceExportTests.swift — export → import gives the same logits: GPT with and without biases (GPT-2 has
// them; zeros stand in), MiniMind with interleaved RoPE (exported as Llama's rotate-half by permuting q/k rows),
// with q/k/v biases (Qwen2) and untied; a MoE MiniMind is refused. transformers itself checks an exported folder
// by hand: `mnemo export RUN DIR --reference REF`, then scripts/check_export.py DIR REF.
import Foundation
import Testing
@testable import MnemoModels
import MnemoSupport
@testable import Torch
import TorchNN

@Suite struct HuggingFaceExportTests {
    func roundTrip(_ model: any LanguageModel, vocab: Int, expectType: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // non-trivial weights everywhere (norm gains and biases too), so a dropped or misplaced tensor shows
        for p in model.parameters() { withNoGrad { p.copy_(p + Tensor.randn(p.shape, generator: Generator(seed: UInt64(p.count))) * 0.1) } }
        try HuggingFaceExport.write(model, to: folder, endOfText: vocab - 1)
        let config = try HuggingFaceFolder.configJSON(folder)
        #expect(config["model_type"]?.string == expectType)
        if expectType == "gpt2" {   // the tokenizer's end of text, not GPT-2's 50256 outside this vocabulary
            #expect(config["bos_token_id"]?.int == vocab - 1 && config["eos_token_id"]?.int == vocab - 1)
        }
        let back = try HuggingFaceImport.model(folder)
        model.eval(); back.eval()
        let idx = Tensor.randint(0, vocab, [2, 9], generator: Generator(seed: 7))
        let a = model.forward(idx, targets: nil).logits, b = back.forward(idx, targets: nil).logits
        #expect(maxDiff(a, b) < 1e-4, "\(expectType): logits differ by \(maxDiff(a, b))")
    }

    @Test(arguments: [true, false])
    func gptRoundTrips(bias: Bool) throws {
        Random.seed(1)
        try roundTrip(GPT(GPTConfig(blockSize: 16, vocabSize: 40, nLayer: 2, nHead: 2, nEmbd: 16, bias: bias)), vocab: 40, expectType: "gpt2")
    }

    @Test(arguments: [("interleaved", false, true), ("rotate_half", false, false), ("interleaved", true, false)])
    func miniMindRoundTrips(layout: String, qkvBias: Bool, tied: Bool) throws {
        Random.seed(2)
        var c = MiniMindConfig()
        c.dim = 32; c.nLayers = 2; c.nHeads = 4; c.nKVHeads = 2; c.vocabSize = 40; c.maxSeqLen = 16
        c.ropeLayout = RopeLayout(rawValue: layout)!; c.qkvBias = qkvBias; c.tieEmbeddings = tied
        try roundTrip(MiniMind(c), vocab: 40, expectType: qkvBias ? "qwen2" : "llama")
    }

    @Test func mixtureOfExpertsIsRefused() {
        var c = MiniMindConfig()
        c.dim = 16; c.nLayers = 1; c.nHeads = 2; c.nKVHeads = 1; c.vocabSize = 20; c.maxSeqLen = 8; c.useMoE = true
        #expect(throws: ConfigError.self) { try HuggingFaceExport.converted(MiniMind(c)) }
    }
}
