// MemoryBankTests.swift — the explicit memory bank against a PyTorch re-statement (scripts/make_memory_fixtures.py →
// Fixtures/memory): candidates, product-key scores, cosines, selection weights, fused output, auxiliary losses and
// every gradient for the faithful layer (no gradient reaches the keys or the gate) and the working one (soft and
// top-1; the keys learn), both EMA updates, and the pointer readout (proposals exactly, log-probabilities and every
// gradient within tolerance). Tolerances: float32, 2e-5 + 1e-3·|ref| (as GPTTests).
import Foundation
import Testing
@testable import MnemoModels
@testable import Torch
@testable import TorchNN

@Suite struct MemoryBankTests {
    static func load(_ name: String) throws -> (f: [String: Tensor], config: [String: Any]) {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures/memory"))
        let (f, meta) = try SafeTensorsIO.loadWithMetadata(url.path)
        let text = try #require(meta["config"])
        let config = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (f, config)
    }

    static func settings(_ c: [String: Any]) -> MiniMindConfig {
        var config = MiniMindConfig()
        config.dim = c["dim"] as! Int
        config.vocabSize = c["vocab"] as! Int
        config.useMemory = true
        config.memoryRows = c["rows"] as! Int
        config.memoryLength = c["row_length"] as! Int
        config.memoryKeyDim = c["key_dim"] as! Int
        config.memoryCandidates = c["candidates"] as! Int
        config.memoryFaithful = c["version"] as! String == "faithful"
        config.memorySelection = c["selection"] as! String == "top1" ? .top1 : .soft
        config.memoryPadId = c["pad_id"] as! Int
        return config
    }

    @Test("the memory layer equals the re-statement: faithful, working soft, working top-1",
          arguments: ["memory_faithful", "memory_working_soft", "memory_working_top1"])
    func layerMatchesPyTorch(file: String) throws {
        let (f, c) = try Self.load(file)
        let config = Self.settings(c)
        let bank = MemoryBank(config)
        bank.rows = f["bank"]!.to(.int32)
        let layer = MemoryLayer(config, bank: bank)
        let params = Dictionary(uniqueKeysWithValues: f.filter { $0.key.hasPrefix("param.") }.map { (String($0.key.dropFirst(6)), $0.value) })
        #expect(Set(layer.stateDict().keys) == Set(params.keys), "\(layer.stateDict().keys.sorted()) vs \(params.keys.sorted())")
        try layer.load(stateDict: params)
        let hAttn = f["h_attn"]!.requiringGrad()
        let embedding = f["embedding"]!.requiringGrad()
        layer.train()
        let result = layer(hAttn, embedding: embedding, gumbel: f["gumbel"])
        #expect(result.candidates.equal(f["candidates"]!), "candidate rows")
        for (name, got) in [("pk", result.productKeyScores), ("cos", result.cosines), ("logits", result.logits),
                            ("weights", result.weights), ("selected", result.selected), ("out", result.out)] {
            guard let want = f[name] else { Issue.record("fixture has no \(name)"); continue }
            #expect(close(got, want), "\(name) differs by \(maxDiff(got, want))")
        }
        #expect(Swift.abs(result.similarityLoss.item() - f["loss_sim"]!.item()) < 1e-5)
        #expect(Swift.abs(result.diversityLoss.item() - f["loss_div"]!.item()) < 1e-5)
        let objective = (result.out * f["cot"]!).sum() + result.similarityLoss * 0.1 + result.diversityLoss * 0.05
        #expect(Swift.abs(objective.item() - f["objective"]!.item()) < 1e-4 * Swift.max(1, Swift.abs(f["objective"]!.item())))
        objective.backward()
        #expect(close(hAttn.grad!, f["grad.h_attn"]!), "grad h_attn differs by \(maxDiff(hAttn.grad!, f["grad.h_attn"]!))")
        #expect(close(embedding.grad!, f["grad.embedding"]!), "grad embedding differs by \(maxDiff(embedding.grad!, f["grad.embedding"]!))")
        for (name, p) in layer.namedParameters() {
            if let want = f["grad.\(name)"] {
                let got = try #require(p.grad, "no gradient for \(name)")
                #expect(close(got, want), "grad \(name) differs by \(maxDiff(got, want))")
            } else {
                // the faithful layer: top-k indices carry no gradient and the scores are discarded
                #expect(config.memoryFaithful && (name == "keys" || name == "gate_proj.weight"), "unexpected parameter \(name)")
                #expect(p.grad == nil || p.grad!.abs().max().item() == 0, "\(name) should get no gradient in the faithful layer")
            }
        }
        if !config.memoryFaithful {
            #expect(layer.keys.grad!.abs().max().item() > 0 && layer.gate_proj.weight.grad!.abs().max().item() > 0, "the working keys learn")
        }
        #expect(layer.trace.selectedRow!.equal(f["selected_index"]!.reshape(-1)))
    }

    @Test("the EMA: faithful re-tokenises (and collapses rows), working moves the feature cache; frozen rows untouched")
    func emaMatchesPyTorch() throws {
        let (f, c) = try Self.load("memory_ema")
        var config = Self.settings(c)
        config.memoryEMAEvery = 1
        let decay = f["decay"]!.item()
        for faithful in [true, false] {
            config.memoryFaithful = faithful
            let bank = MemoryBank(config)
            bank.rows = f["bank"]!.to(.int32).clone()   // the EMA writes rows in place: not into the fixture
            bank.frozen = f["frozen"]!.to(.bool)
            if !faithful {   // the fixture's offsets before, as the rows that have one
                let before = f["delta_before"]!
                let rows = (before.abs().sum(dims: [1]) .> 0).nonzero().view(-1)
                bank.setOffsets(rows: rows, before.indexSelect(dim: 0, index: rows))
            }
            bank.exponentialMovingAverage(rows: f["flat_index"]!, queries: f["flat_query"]!, decay: decay,
                                          embedding: f["embedding"]!, faithful: faithful)
            if faithful {
                #expect(bank.rows.equal(f["bank_faithful"]!.to(.int32)), "faithful bank after the EMA")
            } else {
                #expect(bank.rows.equal(f["bank"]!.to(.int32)), "the working EMA leaves the token ids alone")
                let after = bank.denseOffsets(dim: f["delta_after"]!.size(1))
                let diff = (after - f["delta_after"]!).abs().sum(dims: [1]).toArray(Float.self)
                #expect(close(after, f["delta_after"]!), "delta differs by \(maxDiff(after, f["delta_after"]!)) in rows \(diff.indices.filter { diff[$0] > 1e-5 })")
            }
        }
    }

    @Test("a MiniMind with the bank trains: the keys get gradients (working), the bank is in the state dict, the EMA runs")
    func miniMindWithBank() throws {
        Random.seed(11)
        var config = MiniMindConfig()
        config.dim = 32; config.nLayers = 2; config.nHeads = 4; config.nKVHeads = 2; config.vocabSize = 50; config.maxSeqLen = 16
        config.useMemory = true; config.memoryRows = 64; config.memoryLength = 4; config.memoryKeyDim = 8; config.memoryCandidates = 4
        config.memoryEMAEvery = 1
        #expect(config.problems().isEmpty, "\(config.problems())")
        let model = MiniMind(config)
        let keys = model.stateDict().keys
        #expect(keys.contains("model.memory_bank.rows") && keys.contains("model.memory_bank.frozen") && keys.contains("model.memory_bank.touched")
                && keys.contains("model.memory_bank.offsets") && !keys.contains("model.memory_bank.slot"))
        #expect(keys.contains("model.layers.1.memory.keys") && !keys.contains { $0.contains("layers.0.memory.reference") })
        #expect(!keys.contains("model.layers.0.post_attention_layernorm.weight") && !keys.contains { $0.contains("layers.0.mlp") })
        model.fillMemory([[1, 2, 3], [4, 5, 6, 7, 8, 9]], from: 60)
        #expect(model.memoryRows!.narrow(dim: 0, start: 60, length: 2).toArray(Int32.self) == [1, 2, 3, 0, 4, 5, 6, 7])
        let x = Tensor.randint(0, 50, [2, 16]), y = Tensor.randint(0, 50, [2, 16])
        model.train()
        let output = model.forward(x, targets: y)
        #expect(output.auxiliaryLosses.map(\.name) == ["memory_similarity", "memory_diversity"])
        var loss = crossEntropy(output.logits.view(-1, 50), y.view(-1))
        for aux in output.auxiliaryLosses { loss = loss + aux.value * aux.weight }
        loss.backward()
        let named = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
        #expect(named["model.layers.0.memory.keys"]!.grad != nil)
        let changed = model.afterOptimizerStep(step: 0)
        #expect(changed["memory_rows_updated"]! > 0, "the EMA touched unfrozen rows")
        #expect(model.model.memory_bank!.offsets.abs().sum().item() > 0)
    }

    @Test("the usage-balance loss: 1 for uniform use, n when every token takes one choice; it trains the faithful layer's keys")
    func usageBalance() throws {
        let n = 8
        let uniform = Tensor.full([2, 4, n], 1 / Double(n))
        let everyKey = Tensor.arange(0, Double(n)).view(2, 4, 1)                     // each key chosen once
        #expect(abs(MemoryLayer.usageBalance(uniform, chosen: everyKey).item() - 1) < 1e-6)
        let collapsed = Tensor.zeros([2, 4, n]); collapsed.select(dim: -1, index: 0).copy_(Tensor.ones([2, 4]))
        #expect(abs(MemoryLayer.usageBalance(collapsed, chosen: Tensor.zeros([2, 4, 1], dtype: .int64)).item() - Double(n)) < 1e-6)
        // dL/dP_i = n · f_i / (tokens): the gradient of the mean probability, analytically
        let p = Tensor.rand([2, 4, n]).softmax(dim: -1).requiringGrad()
        let chosen = Tensor.randint(0, n, [2, 4, 2])
        MemoryLayer.usageBalance(p, chosen: chosen).backward()
        let f = chosen.reshape(-1).bincount(minLength: n).float() / 16
        #expect((p.grad! - (f * Double(n) / 8).view(1, 1, n)).abs().max().item() < 1e-6)

        Random.seed(14)
        var config = MiniMindConfig()
        config.dim = 16; config.nLayers = 2; config.nHeads = 2; config.nKVHeads = 1; config.vocabSize = 30; config.maxSeqLen = 8
        config.useMemory = true; config.memoryRows = 64; config.memoryLength = 4; config.memoryKeyDim = 8; config.memoryCandidates = 4
        config.memoryFaithful = true; config.memoryBalanceLossCoef = 0.1
        #expect(config.problems().isEmpty, "\(config.problems())")
        let model = MiniMind(config)
        let x = Tensor.randint(0, 30, [2, 8]), y = Tensor.randint(0, 30, [2, 8])
        let output = model.forward(x, targets: y)
        let balance = try #require(output.auxiliaryLosses.first { $0.name == "memory_balance" })
        #expect(balance.weight == 0.1 && balance.value.item() > 0 && balance.value.item().isFinite)
        balance.value.backward()
        let keys = try #require(model.namedParameters().first { $0.name == "model.layers.0.memory.keys" }).tensor
        #expect(keys.grad!.abs().max().item() > 0, "the balance loss reaches the keys the faithful layer never trains otherwise")
        config.memoryFaithful = false; config.memoryRetrieval = .exact
        #expect(config.problems().contains { $0.contains("memory_balance_loss_coef") })
    }

    @Test("dense retrieval: the layers of one forward share one decode of the bank; outside a forward, every call decodes")
    func oneDecodePerForward() throws {
        Random.seed(13)
        var config = MiniMindConfig()
        config.dim = 16; config.nLayers = 2; config.nHeads = 2; config.nKVHeads = 1; config.vocabSize = 30; config.maxSeqLen = 8
        config.useMemory = true; config.memoryRows = 16; config.memoryLength = 4; config.memoryKeyDim = 8; config.memoryCandidates = 4
        config.memoryRetrieval = .dense
        let model = MiniMind(config)
        let bank = try #require(model.model.memory_bank)
        let embedding = model.tokenEmbedding.detached()
        let (first, second) = bank.sharingDecodedRows { (bank.decodeAll(embedding: embedding), bank.decodeAll(embedding: embedding)) }
        first.add_(Tensor.ones(first.shape))
        #expect(first.equal(second), "one tensor: a change to the first is seen in the second")
        let (third, fourth) = (bank.decodeAll(embedding: embedding), bank.decodeAll(embedding: embedding))
        third.add_(Tensor.ones(third.shape))
        #expect(!third.equal(fourth))
        // a forward's shared decode passes both layers' gradients on to the token embedding
        let x = Tensor.randint(0, 30, [2, 8]), y = Tensor.randint(0, 30, [2, 8])
        let shared = crossEntropy(model.forward(x, targets: y).logits.view(-1, 30), y.view(-1))
        shared.backward()
        #expect(model.tokenEmbedding.grad!.abs().sum().item() > 0)
    }

    @Test("supervised retrieval: the row that continues the text is the label, and the loss trains the row logits toward it")
    func supervisedRetrieval() throws {
        Random.seed(12)
        var config = MiniMindConfig()
        config.dim = 32; config.nLayers = 1; config.nHeads = 4; config.nKVHeads = 2; config.vocabSize = 50; config.maxSeqLen = 8
        config.useMemory = true; config.memoryRows = 16; config.memoryLength = 6; config.memoryKeyDim = 8; config.memoryCandidates = 4
        config.memoryRetrieval = .dense; config.memorySupervisionWeight = 1; config.memorySupervisionContext = 2
        #expect(config.problems().isEmpty, "\(config.problems())")
        let model = MiniMind(config)
        model.fillMemory([[40, 41, 42, 43], [30, 31, 32]], from: 9)
        let bank = try #require(model.model.memory_bank)
        // 41 42 → 43 continues row 9 (position 3); 30 31 → 32 continues row 10 (position 5); 42 43 → 0 (position 7)
        // would need a pad, which is never part of a label; 31 42 → 43 (position 6) is in no row yet
        let x = Tensor([1, 2, 41, 42, 30, 31, 42, 43] as [Int64], shape: [1, 8])
        let y = Tensor([2, 41, 42, 43, 31, 32, 43, 0] as [Int64], shape: [1, 8])
        #expect(bank.continuationRows(x, targets: y, context: 2).toArray(Int64.self) == [-1, -1, -1, 9, -1, 10, -1, -1])
        model.fillMemory([[1, 31, 42, 43]], from: 11)
        #expect(bank.continuationRows(x, targets: y, context: 2).toArray(Int64.self)[6] == 11, "a changed bank is re-read")
        model.train()
        func retrievalLoss() -> Tensor {
            model.forward(x, targets: y).auxiliaryLosses.first { $0.name == "memory_retrieval" }!.value
        }
        let before = retrievalLoss().item()
        for _ in 0..<60 {   // plain gradient descent
            retrievalLoss().backward()
            withNoGrad {
                for p in model.parameters() {
                    if let g = p.grad { p.copy_(p - g * 0.5) }
                    p.grad = nil
                }
            }
        }
        #expect(retrievalLoss().item() < before * 0.5, "the row logits learn the labels")   // 5.90 → 1.10 here
        let accuracy = try #require(model.forward(x, targets: y).metrics["memory_retrieval_acc"]).item()
        #expect(accuracy > 0 && accuracy <= 1)
        config.memoryRetrieval = .exact
        #expect(config.problems().contains { $0.contains("memory_supervision_weight") })
    }

    @Test("the pointer readout equals the re-statement: proposals exact, log-probabilities and gradients within tolerance")
    func pointerMatchesPyTorch() throws {
        let (f, c) = try Self.load("memory_pointer")
        let k = c["candidates"] as! Int
        let logits = f["logits"]!.requiringGrad(), hidden = f["hidden"]!.requiringGrad()
        let weight = f["param.gate.weight"]!.requiringGrad(), bias = f["param.gate.bias"]!.requiringGrad()
        let selection = f["selection_logits"]!.requiringGrad()
        let weights = selection.softmax(dim: -1).narrow(dim: -1, start: 0, length: k)
        let (next, strength) = PointerReadout.proposals(tokens: f["tokens"]!, context: f["idx"]!, pad: c["pad_id"] as! Int,
                                                        matchLength: c["match_length"] as! Int)
        #expect(next.equal(f["next"]!), "proposed tokens: \(next.toArray(Int64.self)) vs \(f["next"]!.toArray(Int64.self))")
        #expect(close(strength, f["strength"]!, atol: 1e-6, rtol: 0), "strengths differ by \(maxDiff(strength, f["strength"]!))")
        let gate = hidden.matmul(weight.T) + bias
        #expect(close(gate, f["gate_logit"]!))
        let logProbabilities = PointerReadout.mix(logits: logits, gate: gate, weights: weights, next: next, strength: strength)
        #expect(close(logProbabilities, f["log_probs"]!), "log p differs by \(maxDiff(logProbabilities, f["log_probs"]!))")
        #expect(close(logProbabilities.exp().sum(dims: [-1]), Tensor.ones([logits.size(0), logits.size(1)]), atol: 1e-5), "p sums to 1")
        (logProbabilities * f["cot"]!).sum().backward()
        for (name, got) in [("logits", logits), ("hidden", hidden), ("gate.weight", weight), ("gate.bias", bias), ("selection_logits", selection)] {
            let want = f["grad.\(name)"]!
            let grad = try #require(got.grad, "no gradient for \(name)")
            #expect(close(grad, want), "grad \(name) differs by \(maxDiff(grad, want))")
        }
    }

    @Test("the pointer readout over every row (dense retrieval, sparse proposals) equals the per-row form over all rows")
    func pointerOverEveryRowMatchesPerRowForm() throws {
        let generator = Generator(seed: 21)
        var config = MiniMindConfig()
        config.dim = 8; config.vocabSize = 7; config.useMemory = true; config.memoryRows = 25; config.memoryLength = 5
        let bank = MemoryBank(config)
        bank.rows = Tensor.randint(0, 7, [25, 5], dtype: .int32, generator: generator)   // small vocabulary: many matches, pads (0)
        let (B, T, V, N, c) = (2, 9, 7, 25, 3)
        let idx = Tensor.randint(0, 7, [B, T], generator: generator)
        let logits = Tensor.randn([B, T, V], generator: generator).requiringGrad()
        let scores = Tensor.randn([B, T, N], generator: generator).requiringGrad()
        let gate = Tensor.randn([B, T, 1], generator: generator)
        let proposals = bank.pointerProposals(context: idx, vocabulary: V, matchLength: c)
        #expect(proposals.row.size(0) > 20, "some rows match")
        let sparse = PointerReadout.mix(logits: logits, gate: gate, weights: scores.softmax(dim: -1), proposals: proposals)
        let tokens = bank.rows.view([1, 1, N, 5]).expand([B, T, N, 5])
        let (next, strength) = PointerReadout.proposals(tokens: tokens, context: idx, pad: 0, matchLength: c)
        let full = PointerReadout.mix(logits: logits, gate: gate, weights: scores.softmax(dim: -1), next: next, strength: strength)
        #expect(close(sparse, full, atol: 1e-6), "differs by \(maxDiff(sparse, full))")
        let cot = Tensor.randn([B, T, V], generator: generator)
        (sparse * cot).sum().backward()
        let (gradLogits, gradScores) = (logits.grad!.clone(), scores.grad!.clone())
        logits.grad = nil; scores.grad = nil
        (full * cot).sum().backward()
        #expect(close(gradLogits, logits.grad!, atol: 1e-6) && close(gradScores, scores.grad!, atol: 1e-6))
    }

    @Test("a MiniMind with the pointer readout: its logits are the mixture's log-probabilities, training lowers their NLL, generation reads them")
    func miniMindWithPointer() throws {
        Random.seed(13)
        var config = MiniMindConfig()
        config.dim = 32; config.nLayers = 2; config.nHeads = 4; config.nKVHeads = 2; config.vocabSize = 20; config.maxSeqLen = 8
        config.useMemory = true; config.memoryRows = 16; config.memoryLength = 6; config.memoryKeyDim = 8; config.memoryCandidates = 4
        config.memoryReadout = .pointer
        for retrieval in MemoryRetrieval.allCases {
            config.memoryRetrieval = retrieval
            #expect(config.problems().isEmpty, "\(config.problems())")
            let model = MiniMind(config)
            #expect(model.stateDict().keys.contains("pointer_gate.weight") && model.stateDict().keys.contains("pointer_gate.bias"))
            model.fillMemory([[3, 4, 5, 6, 7], [8, 9, 10, 11]], from: 2)
            let x = Tensor([3, 4, 5, 6, 8, 9, 10, 3] as [Int64], shape: [1, 8])
            let y = Tensor([4, 5, 6, 7, 9, 10, 11, 4] as [Int64], shape: [1, 8])
            model.train()
            let logits = model.forward(x, targets: y).logits
            #expect(close(logits.exp().sum(dims: [-1]), Tensor.ones([1, 8]), atol: 1e-5), "\(retrieval): the mixture is a distribution")
            let before = crossEntropy(logits.view(8, 20), y.view(-1)).item()
            for _ in 0..<30 {
                crossEntropy(model.forward(x, targets: y).logits.view(8, 20), y.view(-1)).backward()
                withNoGrad {
                    for p in model.parameters() {
                        if let g = p.grad { p.copy_(p - g * 0.2) }
                        p.grad = nil
                    }
                }
            }
            let after = crossEntropy(model.forward(x, targets: y).logits.view(8, 20), y.view(-1)).item()
            #expect(after < before, "\(retrieval): \(before) → \(after)")
            model.eval()
            withNoGrad {
                let last = model.lastLogits(x), full = model.forward(x, targets: nil).logits.select(dim: 1, index: -1)
                #expect(close(last, full), "\(retrieval): generation's step reads the same distribution")
            }
            #expect(!model.decodesIncrementally)
            #expect(model.generate(x.narrow(dim: 1, start: 0, length: 4), maxNewTokens: 3).size(1) == 7)
        }
        config.memoryFaithful = true; config.memoryRetrieval = .productKeys
        #expect(config.problems().contains { $0.contains("memory_readout") })
    }
}
