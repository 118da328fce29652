// CortexCausalityTests.swift — CortexGPT's memory layer inside a GPT: changing token t+1 changes no logit at
// positions ≤ t in every non-faithful configuration (training mode with the same Gumbel draws, and evaluation mode),
// while the faithful arm (one STM shared by the batch, selection along batch × time) is not causal; the STM carried
// across chunks equals one pass over the whole sequence; consolidation moves accessed rows into the LTM (a ring when
// bounded, growing when not).
import Foundation
import Testing
@testable import MnemoModels
@testable import Torch
@testable import TorchNN

@Suite(.serialized) struct CortexCausalityTests {
    static func model(_ configure: (inout CortexConfig) -> Void) -> GPT {
        var config = GPTConfig(blockSize: 12, vocabSize: 23, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0, bias: true)
        config.cortex.layers = [0]
        config.cortex.stmSlots = 4
        config.cortex.ltmSlots = 16
        config.cortex.ltmDim = 4
        config.cortex.ltmTopK = 3
        configure(&config.cortex)
        Random.seed(7)
        let model = GPT(config)
        // an LTM with rows in it, so that its retrieval takes part
        model.memoryLayers[0].write(Tensor.randn([10, 4]))
        return model
    }

    /// The largest change of the logits at positions ≤ t when token t+1 of one sequence changes.
    static func leak(_ model: GPT, training: Bool, at t: Int = 5, by shift: Int64 = 1) -> Double {
        training ? model.train() : model.eval()
        Random.seed(99)
        let idx = Tensor.randint(0, 23, [3, 12])
        var changed = idx.toArray(Int64.self)
        changed[t + 1] = (changed[t + 1] + shift) % 23       // sequence 0, position t+1
        let other = Tensor(changed, shape: [3, 12])
        Random.seed(5)
        model.resetShortTermMemory()
        let a = withNoGrad { model(idx) }
        Random.seed(5)                                       // the same Gumbel draws
        model.resetShortTermMemory()
        let b = withNoGrad { model(other) }
        return (a.narrow(dim: 1, start: 0, length: t + 1) - b.narrow(dim: 1, start: 0, length: t + 1)).abs().max().item()
    }

    @Test(arguments: CortexGate.allCases, CortexSparsity.allCases)
    func everyNonFaithfulConfigurationIsCausal(gate: CortexGate, sparsity: CortexSparsity) throws {
        for memoryNorm in [true, false] {
            for residualWeight in [0.0, 0.1] {
                let m = Self.model { c in
                    c.gate = gate; c.sparsity = sparsity; c.memoryNorm = memoryNorm
                    c.residualWeight = residualWeight; c.stopGradient = residualWeight > 0
                }
                for training in [true, false] {
                    let leak = Self.leak(m, training: training)
                    #expect(leak == 0, "gate \(gate), sparsity \(sparsity), memory_norm \(memoryNorm), residual_weight \(residualWeight), training \(training): \(leak)")
                }
                // and the future does change the future (the test can fail)
                m.eval()
                let idx = Tensor.randint(0, 23, [1, 12]), other = idx.clone()
                other.narrow(dim: 1, start: 6, length: 1).fill_(Int((idx.toArray(Int64.self)[6] + 1) % 23))
                let d = withNoGrad { (m(idx) - m(other)).narrow(dim: 1, start: 6, length: 6).abs().max().item() }
                #expect(d > 0)
            }
        }
    }

    @Test func faithfulArmIsNotCausal() throws {
        let m = Self.model { c in c.faithful = true; c.gate = .softmax; c.memoryNorm = false; c.residualWeight = 0.1 }
        #expect(m.memoryLayers[0].config.effectiveSparsity == .tokens)
        // selection over batch × time: a later token changes which earlier tokens are kept (evaluation: when it moves
        // one of them across the top-k boundary, so several changes are tried) or how much each is weighted (training)
        let evaluation = (1...10).flatMap { shift in [3, 5, 8].map { Self.leak(m, training: false, at: $0, by: Int64(shift)) } }
        #expect(evaluation.max()! > 0)
        #expect(Self.leak(m, training: true) > 0)
    }

    @Test func shortTermMemoryCarriedAcrossChunksEqualsOnePass() throws {
        var config = CortexConfig()
        config.layers = [0]; config.stmSlots = 5; config.stmCarry = true; config.sparsity = .none
        Random.seed(3)
        let layer = CortexMemoryLayer(config, width: 8)
        layer.initializeWeights()
        for (_, p) in layer.namedParameters() { withNoGrad { p.copy_(p + Tensor.randn(p.shape) * 0.3) } }
        layer.eval()
        let x = Tensor.randn([2, 12, 8])
        let whole = withNoGrad { layer(x) }
        layer.resetShortTerm()
        let first = withNoGrad { layer(x.narrow(dim: 1, start: 0, length: 7)) }
        let second = withNoGrad { layer(x.narrow(dim: 1, start: 7, length: 5)) }
        let pieces = cat([first.stm, second.stm], dim: 1)
        #expect((pieces - whole.stm).abs().max().item() < 1e-5)
        #expect((cat([first.out, second.out], dim: 1) - whole.out).abs().max().item() < 1e-5)
        // without the carry the second chunk starts empty: its first position reads nothing
        layer.resetShortTerm()
        var fresh = config
        fresh.stmCarry = false
        let alone = CortexMemoryLayer(fresh, width: 8)
        try alone.load(stateDict: layer.stateDict())
        alone.eval()
        let cut = withNoGrad { alone(x.narrow(dim: 1, start: 7, length: 5)) }
        #expect(cut.stm.narrow(dim: 1, start: 0, length: 1).abs().max().item() == 0)
    }

    @Test func consolidationMovesAccessedRowsAndBoundsTheLongTermMemory() throws {
        var config = CortexConfig()
        config.layers = [0]; config.stmSlots = 6; config.ltmSlots = 8; config.ltmDim = 4
        config.consolidateEvery = 2; config.consolidateThreshold = 1; config.consolidateMax = 5
        Random.seed(11)
        let layer = CortexMemoryLayer(config, width: 8)
        layer.initializeWeights()
        layer.train()
        _ = layer(Tensor.randn([2, 10, 8]))
        let ring = try #require(layer.ring)
        #expect(ring.x.shape == [2, 6, 8])
        let eligible = (ring.valid && (ring.count .>= 1.0)).long().sum().itemInt()
        #expect(eligible > 0)
        #expect(layer.consolidate(step: 0) == 0, "gradual: only every consolidate_every steps")
        let moved = layer.consolidate(step: 1)
        #expect(moved == Swift.min(eligible, 5))
        #expect(layer.ltmRows == moved)
        // importance halves for the moved rows: count·importance < θ for those seen once
        let after = try #require(layer.ring)
        #expect(after.importance.min().item() == 0.5)
        // the ring wraps: never more than L rows
        for step in stride(from: 3, to: 40, by: 2) { _ = layer(Tensor.randn([2, 10, 8])); layer.consolidate(step: step) }
        #expect(layer.ltmRows == 8 && layer.ltm_memory.size(0) == 8)

        config.ltmBounded = false
        let growing = CortexMemoryLayer(config, width: 8)
        growing.train()
        for step in stride(from: 1, to: 40, by: 2) { _ = growing(Tensor.randn([2, 10, 8])); growing.consolidate(step: step) }
        #expect(growing.ltmRows > 8 && growing.ltm_memory.size(0) >= growing.ltmRows)
        // a checkpoint of the grown memory loads into a fresh layer
        let fresh = CortexMemoryLayer(config, width: 8)
        fresh.prepareLongTermMemory(rows: growing.ltm_memory.size(0))
        try fresh.load(stateDict: growing.stateDict())
        #expect(fresh.ltmRows == growing.ltmRows)
    }

    @Test func longTermSearchInChunksEqualsOneSearch() throws {
        var config = CortexConfig()
        config.layers = [0]; config.ltmSlots = 64; config.ltmDim = 4; config.ltmTopK = 5
        Random.seed(4)
        let layer = CortexMemoryLayer(config, width: 8)
        layer.initializeWeights()
        layer.write(Tensor.randn([50, 4]))
        let qc = Tensor.randn([2, 3, 4])
        let (whole, wholeTop) = withNoGrad { layer.longTerm(qc) }
        layer.distanceChunkElements = 6 * 7          // chunks of 7 rows for 6 queries: 8 chunks, merged
        let (chunked, chunkedTop) = withNoGrad { layer.longTerm(qc) }
        #expect((whole - chunked).abs().max().item() < 1e-5)
        #expect((try #require(wholeTop) - (try #require(chunkedTop))).abs().max().item() < 1e-6)
    }

    @Test func miniMindTakesTheLayerToo() throws {
        var config = MiniMindConfig()
        config.dim = 16; config.nLayers = 2; config.nHeads = 2; config.nKVHeads = 1; config.vocabSize = 23; config.maxSeqLen = 12
        config.cortex.layers = [1]; config.cortex.stmSlots = 4; config.cortex.ltmSlots = 8; config.cortex.ltmDim = 4
        config.cortex.consolidateEvery = 1; config.cortex.consolidateThreshold = 1
        #expect(config.problems().isEmpty, "\(config.problems())")
        Random.seed(2)
        let model = MiniMind(config)
        #expect(model.namedParameters().contains { $0.name.hasPrefix("model.cortex.0.gate") })
        #expect(!model.decodesIncrementally)
        let idx = Tensor.randint(0, 23, [2, 12])
        model.train()
        let output = model.forward(idx, targets: idx)
        #expect(output.metrics["gate_mass/stm"] != nil && output.auxiliaryLosses.contains { $0.name == "gate_smoothness" })
        #expect(model.afterOptimizerStep(step: 0)["cortex_ltm_rows_written"]! > 0, "consolidation runs after the step")
        // causal: a change at position 7 leaves positions ≤ 6 alone
        model.eval()
        let other = idx.clone()
        other.narrow(dim: 1, start: 7, length: 1).fill_(Int((idx.toArray(Int64.self)[7] + 1) % 23))
        let a = withNoGrad { model.forward(idx, targets: nil).logits }, b = withNoGrad { model.forward(other, targets: nil).logits }
        #expect((a.narrow(dim: 1, start: 0, length: 7) - b.narrow(dim: 1, start: 0, length: 7)).abs().max().item() == 0)
        #expect((a - b).abs().max().item() > 0)
        config.cortex.layers = [2]
        #expect(config.problems().contains { $0.contains("cortex_layers") }, "a layer index past n_layers is refused")
    }

    @Test func knockingOutAMemoryRetrievesZerosAndIsUndone() throws {
        let m = Self.model { _ in }
        m.eval()
        let idx = Tensor.randint(0, 23, [2, 12])
        let with = withNoGrad { m(idx) }
        for (stm, ltm) in [(true, false), (false, true)] {
            let without = m.withoutMemories(shortTerm: stm, longTerm: ltm) { withNoGrad { m(idx) } }
            #expect((with - without).abs().max().item() > 0, "STM \(stm) LTM \(ltm) knocked out changes the logits")
            let o = try #require(m.memoryLayers[0].last.value)
            #expect(!stm || o.stm.abs().max().item() == 0)
            #expect(!ltm || o.ltm.abs().max().item() == 0)
        }
        #expect(withNoGrad { m(idx) }.equal(with), "the memories are back")
    }

    @Test func evaluationAndGenerationLeaveTheMemoriesAlone() throws {
        let m = Self.model { _ in }
        let layer = m.memoryLayers[0]
        let before = layer.ltm_memory.clone()
        m.eval()
        _ = m.generate(Tensor.zeros([1, 1], dtype: .int64), maxNewTokens: 15, generator: Generator(seed: 1))
        #expect(layer.ring == nil, "no STM is kept outside training (without stm_carry)")
        #expect(layer.ltm_memory.equal(before))
        #expect(m.afterOptimizerStep(step: 49)["cortex_ltm_rows_written"] == 0, "nothing to consolidate before a training forward")
    }
}
