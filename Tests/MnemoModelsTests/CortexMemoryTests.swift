// CortexMemoryTests.swift — CortexGPT's memory layer against a PyTorch re-statement (scripts/make_cortex_fixtures.py →
// Fixtures/cortex, README there): STM retrieval with decay and window over a carried ring, LTM top-k weighting, the
// stabilized and softmax gates, the Gumbel sparse activation with the noise passed in (soft in training, hard at
// evaluation, along features or along batch × time), the residual variants, the three StabilizedLoss regularisers,
// and every gradient (the unified arm's detached memories give none); the label-smoothed KL against the trainer's
// smoothed cross-entropy. Tolerances: float32, |Δ| ≤ 2e-5 + 1e-3·|ref| (as the other model fixtures).
import Foundation
import Testing
@testable import MnemoModels
@testable import Torch
@testable import TorchNN

@Suite struct CortexMemoryTests {
    static func load(_ name: String) throws -> (f: [String: Tensor], config: [String: Any]) {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures/cortex"))
        let (f, meta) = try SafeTensorsIO.loadWithMetadata(url.path)
        let text = try #require(meta["config"])
        let config = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (f, config)
    }

    static func close(_ got: Tensor, _ want: Tensor, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.shape == want.shape, "\(what): shape \(got.shape) vs \(want.shape)", sourceLocation: sourceLocation)
        guard got.shape == want.shape else { return }
        let excess = ((got.float() - want.float()).abs() - (want.float().abs() * 1e-3 + 2e-5)).max().item()
        #expect(excess <= 0, "\(what): off by \(excess) beyond tolerance", sourceLocation: sourceLocation)
    }

    @Test(arguments: ["cortex_toolkit", "cortex_toolkit_eval", "cortex_legacy", "cortex_unified", "cortex_empty"])
    func layerMatchesPyTorch(file: String) throws {
        let (f, c) = try Self.load(file)
        var config = CortexConfig()
        config.layers = [0]
        config.gate = CortexGate(rawValue: c["gate"] as! String)!
        config.memoryNorm = c["memory_norm"] as! Bool
        let sparsity = c["sparsity"] as! String
        config.faithful = c["shared_stm"] as! Bool
        config.sparsity = sparsity == "tokens" ? .gumbel : CortexSparsity(rawValue: sparsity)!
        #expect(config.effectiveSparsity.rawValue == sparsity)
        config.sparsityTarget = c["sparsity_target"] as! Double
        config.residualWeight = c["residual_weight"] as! Double
        config.stopGradient = c["stop_gradient"] as! Bool
        config.stmSlots = c["stm_slots"] as! Int
        config.ltmTopK = c["ltm_top_k"] as! Int
        config.ltmDim = c["ltm_dim"] as! Int
        config.stmCarry = true
        let memory = try #require(f["state.ltm_memory"])
        config.ltmSlots = memory.size(0)
        let width = c["n_embd"] as! Int
        let layer = CortexMemoryLayer(config, width: width)
        var state = Dictionary(uniqueKeysWithValues: f.filter { $0.key.hasPrefix("param.") }.map { (String($0.key.dropFirst(6)), $0.value) })
        state["ltm_memory"] = memory
        state["ltm_valid"] = f["state.ltm_valid"]
        state["ltm_pointer"] = Tensor.zeros([1], dtype: .int64)
        #expect(Set(layer.stateDict().keys) == Set(state.keys), "the layer's keys are the re-statement's")
        try layer.load(stateDict: state)
        let ringX = try #require(f["state.ring_x"])
        layer.ring = ShortTermRing(x: ringX, position: f["state.ring_pos"]!, valid: f["state.ring_valid"]!,
                                   count: Tensor.zeros(Array(ringX.shape.prefix(2))), importance: Tensor.ones(Array(ringX.shape.prefix(2))),
                                   next: c["chunk_start"] as! Int)
        (c["training"] as! Bool) ? layer.train() : layer.eval()

        let x = try #require(f["input.x"]).clone().requiringGrad()
        let o = layer(x, gumbel: f["input.gumbel"])
        Self.close(o.stm, f["output.stm"]!, "stm")
        Self.close(o.conf, f["output.conf"]!, "conf")
        Self.close(o.ltm, f["output.ltm"]!, "ltm")
        Self.close(o.gate, f["output.gate"]!, "gate")
        if let mask = o.mask { Self.close(mask, f["output.mask"]!, "mask") } else { #expect(sparsity == "none") }
        Self.close(o.out, f["output.out"]!, "out")
        Self.close(o.gateSmoothness, f["output.gate_smoothness"]!, "gate_smoothness")
        Self.close(o.gateEntropy, f["output.gate_entropy"]!, "gate_entropy")
        Self.close(try #require(o.sparsity), f["output.sparsity"]!, "sparsity")
        let objective = (o.out * f["input.upstream"]!).sum() + o.gateSmoothness + o.gateEntropy + o.sparsity!
        Self.close(objective, f["output.objective"]!, "objective")
        objective.backward()
        Self.close(try #require(x.grad), f["grad.x"]!, "grad x")
        for (name, p) in layer.namedParameters() {
            let want = try #require(f["grad.\(name)"], "no reference gradient for \(name)")
            Self.close(p.grad ?? Tensor.zeros(like: p), want, "grad \(name)")
        }
        if config.stopGradient {
            for name in ["stm_query.weight", "stm_key.weight", "stm_decay", "compress_1.weight", "decompress_3.bias"] {
                #expect(layer.namedParameters().first { $0.name == name }?.tensor.grad == nil, "\(name) gets no gradient when detached")
            }
        }
    }

    @Test func labelSmoothedKLHasTheSmoothedCrossEntropysGradient() throws {
        let (f, c) = try Self.load("stabilized_loss")
        let logits = try #require(f["input.logits"]).clone().requiringGrad()
        let loss = crossEntropy(logits, f["input.targets"]!, ignoreIndex: -1, labelSmoothing: c["epsilon"] as! Double)
        Self.close(loss, f["output.ce_smoothed"]!, "smoothed cross-entropy")
        loss.backward()
        Self.close(try #require(logits.grad), f["grad.logits_kl"]!, "gradient = the KL's")
    }
}
