// GPTTests.swift — Mnemo's GPT against PyTorch: a nanoGPT-style model (bias on and off) and Hugging Face's
// GPT2LMHeadModel (Conv1D weights, tanh GELU). Logits, loss and every parameter gradient must match.
// Tolerances: float32, |Δ| ≤ 2e-5 + 1e-3·|ref| (2-layer models; reduction order differs from PyTorch's).
import Foundation
import Testing
@testable import MnemoModels
@testable import Torch
@testable import TorchNN

func fixture(_ name: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    return try SafeTensorsIO.loadWithMetadata(url.path)
}

func close(_ a: Tensor, _ b: Tensor, atol: Double = 2e-5, rtol: Double = 1e-3) -> Bool {
    a.shape == b.shape && a.allClose(b, rtol: rtol, atol: atol)
}

func maxDiff(_ a: Tensor, _ b: Tensor) -> Double {
    a.shape == b.shape ? (a - b).abs().max().item() : .infinity
}

@Suite struct GPTTests {
    @Test(arguments: ["gpt_nanogpt", "gpt_nanogpt_nobias"])
    func nanoGPTMatchesPyTorch(file: String) throws {
        let (f, meta) = try fixture(file)
        let config = try JSONDecoder().decode(GPTConfig.self, from: Data(try #require(meta["config"]).utf8))
        let model = GPT(config)
        let params = Dictionary(uniqueKeysWithValues: f.filter { $0.key.hasPrefix("param.") }.map { (String($0.key.dropFirst(6)), $0.value) })
        #expect(Set(model.stateDict().keys) == Set(params.keys), "state_dict keys equal nanoGPT's")
        try model.load(stateDict: params)
        let logits = model(f["idx"]!)
        #expect(close(logits, f["logits"]!), "logits differ by \(maxDiff(logits, f["logits"]!))")
        let loss = model.loss(f["idx"]!, targets: f["targets"]!)
        #expect(Swift.abs(loss.item() - f["loss"]!.item()) < 1e-5)
        loss.backward()
        let named = model.namedParameters()
        #expect(Set(named.map(\.name)) == Set(f.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) }))
        for (name, p) in named {
            let want = f["grad.\(name)"]!
            #expect(close(p.grad!, want), "gradient of \(name) differs by \(maxDiff(p.grad!, want))")
        }
        #expect(close(logits.narrow(dim: 1, start: logits.size(1) - 1, length: 1), f["logits_last"]!))
    }

    @Test func huggingFaceGPT2MatchesTransformers() throws {
        let (f, _) = try fixture("gpt2_hf")
        let model = GPT(GPTConfig(blockSize: 16, vocabSize: 100, nLayer: 2, nHead: 2, nEmbd: 32, bias: true,
                                  geluApproximate: true))
        let hf = Dictionary(uniqueKeysWithValues: f.filter { $0.key.hasPrefix("param.") }.map { (String($0.key.dropFirst(6)), $0.value) })
        try model.loadHuggingFaceGPT2(hf)
        let idx = f["idx"]!
        let logits = model(idx)
        #expect(close(logits, f["logits"]!), "logits differ by \(maxDiff(logits, f["logits"]!))")
        // HF shifts inside the model: position t predicts labels[t+1].
        let t = idx.size(1)
        let loss = crossEntropy(logits.narrow(dim: 1, start: 0, length: t - 1).reshape(-1, 100),
                                idx.narrow(dim: 1, start: 1, length: t - 1).reshape(-1))
        #expect(Swift.abs(loss.item() - f["loss"]!.item()) < 1e-5)
        loss.backward()
        let conv1D = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
        for (name, p) in model.namedParameters() {
            var want = try #require(f["grad.\(name)"], "no HF gradient for \(name)")
            if conv1D.contains(where: { name.hasSuffix($0) }) { want = want.T }
            #expect(close(p.grad!, want), "gradient of \(name) differs by \(maxDiff(p.grad!, want))")
        }
    }

    @Test func tiedHeadIsOneParameter() {
        let model = GPT(GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 2, nEmbd: 8))
        let names = model.namedParameters().map(\.name)
        #expect(names.contains("transformer.wte.weight") && !names.contains("lm_head.weight"))
        #expect(model.stateDict().keys.contains("lm_head.weight"))
        #expect(model.lm_head.weight === model.transformer.wte.weight)
    }

    @Test func nanoGPTInitialisation() {
        Random.seed(5)
        let model = GPT(GPTConfig(blockSize: 64, vocabSize: 500, nLayer: 8, nHead: 4, nEmbd: 128, bias: true))
        let std = model.transformer.h[0].attn.c_proj.weight.std().item()
        #expect(Swift.abs(std - 0.02 / 4) < 0.0005, "residual projections scaled by 1/sqrt(2·n_layer): \(std)")
        #expect(Swift.abs(model.transformer.wte.weight.std().item() - 0.02) < 0.001)
        #expect(model.transformer.h[0].attn.c_attn.bias!.abs().sum().item() == 0)
    }

    @Test func generateExtendsAndCropsTheContext() {
        let model = GPT(GPTConfig(blockSize: 4, vocabSize: 7, nLayer: 1, nHead: 1, nEmbd: 8))
        model.eval()
        let g = Generator(seed: 1)
        let out = model.generate(Tensor([Int64(1), 2], shape: [1, 2]), maxNewTokens: 6, temperature: 1, topK: 3, generator: g)
        #expect(out.shape == [1, 8])
        #expect(out.toArray(Int64.self).allSatisfy { (0..<7).contains($0) })
        let again = model.generate(Tensor([Int64(1), 2], shape: [1, 2]), maxNewTokens: 6, temperature: 1, topK: 3,
                                   generator: Generator(seed: 1))
        #expect(out.equal(again), "same generator seed, same sample")
    }
}
