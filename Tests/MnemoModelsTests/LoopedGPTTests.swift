// LoopedGPTTests.swift — the looped-GPT options of GPT against a PyTorch re-statement
// (scripts/make_looped_fixtures.py → Fixtures/looped): shared block, all-layer loss (sum and mean), LayerNorm
// without affine parameters, the residual variants, early exit with fixed draws, log1mexp, residual diagnostics.
// Tolerances: float32, |Δ| ≤ 2e-5 + 1e-3·|ref| for tensors (as GPTTests), 1e-5 for scalar losses.
import Foundation
import Testing
@testable import MnemoModels
@testable import Torch
@testable import TorchNN

@Suite struct LoopedGPTTests {
    static func load(_ name: String) throws -> (tensors: [String: Tensor], model: GPT) {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures/looped"))
        let (f, meta) = try SafeTensorsIO.loadWithMetadata(url.path)
        let config = try JSONDecoder().decode(GPTConfig.self, from: Data(try #require(meta["config"]).utf8))
        #expect(config.problems().isEmpty, "\(config.problems())")
        let model = GPT(config)
        let params = Dictionary(uniqueKeysWithValues: f.filter { $0.key.hasPrefix("param.") }.map { (String($0.key.dropFirst(6)), $0.value) })
        #expect(Set(model.stateDict().keys) == Set(params.keys), "state_dict keys equal the re-statement's")
        try model.load(stateDict: params)
        return (f, model)
    }

    /// The objective as the trainer forms it: taskWeight · CE(logits) + Σ weight · auxiliary.
    static func objective(_ output: ModelOutput, targets: Tensor) -> (task: Tensor, total: Tensor) {
        let task = crossEntropy(output.logits.view(-1, output.logits.size(-1)), targets.view(-1), ignoreIndex: -1)
        var total = task * output.taskWeight
        for aux in output.auxiliaryLosses { total = total + aux.value * aux.weight }
        return (task, total)
    }

    static func expectGradients(_ model: GPT, _ f: [String: Tensor], sourceLocation: SourceLocation = #_sourceLocation) {
        let named = model.namedParameters()
        #expect(Set(named.map(\.name)) == Set(f.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) }),
                sourceLocation: sourceLocation)
        for (name, p) in named {
            guard let want = f["grad.\(name)"], let got = p.grad else {
                Issue.record("no gradient for \(name)", sourceLocation: sourceLocation)
                continue
            }
            #expect(close(got, want), "gradient of \(name) differs by \(maxDiff(got, want))", sourceLocation: sourceLocation)
        }
    }

    static func expectDiagnostics(_ model: GPT, _ f: [String: Tensor], sourceLocation: SourceLocation = #_sourceLocation) {
        let stats = model.residualStatistics(f["idx"]!)
        for (name, values) in [("resid_in", stats.input), ("resid_mid", stats.mid), ("resid_norm", stats.norm)] {
            let want = f[name]!.toArray(Float.self).map(Double.init)
            #expect(values.count == want.count, sourceLocation: sourceLocation)
            for (a, b) in zip(values, want) {
                #expect(Swift.abs(a - b) <= 2e-5 + 1e-4 * Swift.abs(b), "\(name): \(values) vs \(want)", sourceLocation: sourceLocation)
            }
        }
        let out = f["resid_out"]!.item()
        #expect(Swift.abs(stats.output - out) <= 2e-5 + 1e-4 * Swift.abs(out), sourceLocation: sourceLocation)
    }

    @Test("shared block and all-layer loss (sum, mean): logits, per-layer losses, objective, gradients, diagnostics",
          arguments: ["looped_shared_all_sum", "looped_shared_all_mean"])
    func sharedBlockAllLayerLoss(file: String) throws {
        let (f, model) = try Self.load(file)
        #expect(model.config.shareBlock && model.config.layerLoss == .all)
        #expect(model.transformer.h.count == 1)
        let (idx, targets) = (f["idx"]!, f["targets"]!)
        let output = model.forward(idx, targets: targets)
        #expect(close(output.logits, f["logits"]!), "logits differ by \(maxDiff(output.logits, f["logits"]!))")
        let perLayer = (0..<model.config.nLayer).map { output.metrics["loss_layer/\($0)"]!.item() as Double }
        let want = f["layer_losses"]!.toArray(Float.self).map(Double.init)
        for (a, b) in zip(perLayer, want) { #expect(Swift.abs(a - b) < 1e-5, "layer losses \(perLayer) vs \(want)") }
        let (task, total) = Self.objective(output, targets: targets)
        #expect(Swift.abs(task.item() - f["loss_task"]!.item()) < 1e-5)
        #expect(Swift.abs(total.item() - f["objective"]!.item()) < 1e-5, "objective \(total.item() as Double) vs \(f["objective"]!.item() as Double)")
        total.backward()
        Self.expectGradients(model, f)
        Self.expectDiagnostics(model, f)
    }

    @Test("residual variants: parallel, attn × mlp, double attention", arguments: ["looped_parallel", "looped_attn_times_mlp", "looped_double_attn"])
    func residualVariants(file: String) throws {
        let (f, model) = try Self.load(file)
        let (idx, targets) = (f["idx"]!, f["targets"]!)
        let output = model.forward(idx, targets: targets)
        #expect(close(output.logits, f["logits"]!), "logits differ by \(maxDiff(output.logits, f["logits"]!))")
        let (_, total) = Self.objective(output, targets: targets)
        #expect(Swift.abs(total.item() - f["objective"]!.item()) < 1e-5)
        total.backward()
        Self.expectGradients(model, f)
        Self.expectDiagnostics(model, f)
        // cached generation computes the same logits as the full pass (double_attn keeps attn2's keys apart)
        let cache = model.makeCache()
        let prefix = idx.narrow(dim: 1, start: 0, length: 8)
        _ = model.decode(prefix, cache: cache)
        let next = model.decode(idx.narrow(dim: 1, start: 8, length: 1), cache: cache)
        let full = model.lastLogits(idx.narrow(dim: 1, start: 0, length: 9))
        #expect(close(next, full), "cached decoding differs by \(maxDiff(next, full))")
    }

    @Test("early exit with fixed draws (confidence) and a threshold: exit masks, p′max, logits, losses, gradients",
          arguments: ["looped_exit_confidence", "looped_exit_threshold"])
    func earlyExit(file: String) throws {
        let (f, model) = try Self.load(file)
        let (idx, targets) = (f["idx"]!, f["targets"]!)
        let pass = model.earlyExit(model.residualStreams(idx), targets: targets, uniform: f["exit_uniform"]!)
        let masks = f["exit_masks"]!, probabilities = f["p_max"]!
        for (i, mask) in pass.exitMasks.enumerated() {
            #expect(mask.equal(masks.select(dim: 0, index: i)), "exit mask of layer \(i)")
        }
        for (i, p) in pass.topProbabilities.enumerated() {
            #expect(close(p, probabilities.select(dim: 0, index: i)), "p′max of layer \(i) differs by \(maxDiff(p, probabilities.select(dim: 0, index: i)))")
        }
        // every layer gets some exits in these fixtures (the script asserts it), so every branch is exercised
        #expect(pass.exitMasks.allSatisfy { $0.sum().item() as Double > 0 } || file.hasSuffix("threshold"))
        #expect(close(pass.output.logits, f["logits"]!), "logits differ by \(maxDiff(pass.output.logits, f["logits"]!))")
        let confidence = try #require(pass.confidence)
        #expect(Swift.abs(confidence.item() - f["loss_confidence"]!.item()) < 1e-5)
        let (task, total) = Self.objective(pass.output, targets: targets)
        #expect(Swift.abs(task.item() - f["loss_task"]!.item()) < 1e-5)
        #expect(Swift.abs(total.item() - f["objective"]!.item()) < 1e-5)
        total.backward()
        Self.expectGradients(model, f)
        // the look-ahead left every parameter trainable afterwards
        #expect(model.parameters().allSatisfy { $0.requiresGrad })
        let fractions = (0..<model.config.nLayer).map { pass.output.metrics["exit_layer/\($0)"]!.item() as Double }
        #expect(Swift.abs(fractions.reduce(0, +) - 1) < 1e-6)
        #expect(Swift.abs((pass.output.metrics["exit_early_fraction"]!.item() as Double) - (1 - fractions.last!)) < 1e-6)
    }

    @Test("log1mexp = log(1 − eˣ) near 0 and far below, with its gradient")
    func log1mexp() throws {
        let url = try #require(Bundle.module.url(forResource: "looped_log1mexp", withExtension: "safetensors", subdirectory: "Fixtures/looped"))
        let f = try SafeTensorsIO.load(url.path)
        let x = f["x"]!.requiringGrad()
        let y = x.log1mexp()
        #expect(close(y, f["y"]!, atol: 1e-6, rtol: 1e-5), "log1mexp differs by \(maxDiff(y, f["y"]!))")
        #expect(y.isfinite().float().min().item() == 1)
        y.sum().backward()
        #expect(close(x.grad!, f["grad"]!, atol: 1e-6, rtol: 1e-4), "gradient differs by \(maxDiff(x.grad!, f["grad"]!))")
    }

    @Test("a shared block is one set of weights: the parameter count is the plain model's minus n_layer − 1 blocks")
    func sharedBlockCountsOnce() {
        var plain = GPTConfig(blockSize: 16, vocabSize: 50, nLayer: 6, nHead: 2, nEmbd: 16, bias: false)
        let plainCount = GPT(plain).parameterCount(nonEmbedding: false)
        plain.shareBlock = true
        let shared = GPT(plain)
        let block = shared.transformer.h[0].parameterCount
        #expect(shared.parameterCount(nonEmbedding: false) == plainCount - 5 * block)
        plain.shareFinalNorm = true
        #expect(GPT(plain).parameterCount(nonEmbedding: false) == plainCount - 5 * block - 16)   // ln_f's weight
        plain.lnAffine = false
        plain.shareFinalNorm = false
        #expect(!GPT(plain).namedParameters().contains { $0.name.contains("ln_") })
    }

    @Test("bad combinations are refused with what to change")
    func problems() throws {
        var c = GPTConfig(blockSize: 16, vocabSize: 50, nLayer: 2, nHead: 2, nEmbd: 16)
        var spec = try ModelSpec("gpt")
        #expect { try spec.set("residual", CommandLineText("resmlp"), source: "--set residual") } throws: {
            "\($0)".contains("must be one of standard, parallel, attn_times_mlp, double_attn")
        }
        c.shareFinalNorm = true
        #expect(c.problems().contains { $0.contains("share_final_norm needs share_block") })
        c.shareFinalNorm = false
        c.earlyExit = .confidence
        c.layerLoss = .all
        #expect(c.problems().contains { $0.contains("do not combine") })
        c.layerLoss = .last
        c.earlyExit = .threshold
        c.exitThreshold = 1.5
        #expect(c.problems().contains { $0.contains("exit_threshold must be in (0, 1]") })
    }

    @Test("early exit generates without the KV cache, and the exit statistics are logged each step")
    func earlyExitGenerates() {
        Random.seed(3)
        var c = GPTConfig(blockSize: 16, vocabSize: 30, nLayer: 3, nHead: 2, nEmbd: 16, bias: false)
        c.shareBlock = true
        c.earlyExit = .confidence
        let model = GPT(c)
        #expect(!model.decodesIncrementally)
        let out = model.generate(Tensor([Int64(1), 2], shape: [1, 2]), maxNewTokens: 5, topK: 1)
        #expect(out.shape == [1, 7])
        let output = model.forward(Tensor.randint(0, 30, [2, 16]), targets: Tensor.randint(0, 30, [2, 16]))
        #expect(output.metrics.keys.contains("exit_mean_depth") && output.metrics.keys.contains("exit_layer/2"))
        #expect(output.auxiliaryLosses.isEmpty, "confidence weight 0: no auxiliary loss")
    }
}
