// InitFromRunTests.swift — a run that starts from another Mnemo run (init_from = RUN): it takes that run's model
// settings and its latest weights — with a LoRA adapter folded into the base — and a different tokenizer is refused.
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch
@testable import TorchNN

@Suite(.serialized) struct InitFromRunTests {
    @Test func aRunStartsFromAnotherRunsMergedWeights() throws {
        let dir = try temporaryFolder("init-from-run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = try writeCorpus(in: dir)
        var first = tinyConfig(data: corpus)
        first.maxIters = 4; first.evalInterval = 4; first.sampleTokens = 0; first.learningRate = 1e-2
        first.gpt.nEmbd = 24; first.gpt.nHead = 3
        try first.apply(override: "lora_rank=2")
        let base = try Trainer(config: first, runDirectory: "\(dir)/base")
        base.progress = false
        try base.run()
        // what the first run computes (its adapter on) is where the second starts (adapter merged)
        let idx = Tensor([Int64](0..<8).map { $0 % 5 }, shape: [1, 8])
        base.model.eval()
        let want = withNoGrad { base.model.forward(idx, targets: nil).logits }

        var second = tinyConfig(data: corpus)          // a different shape in the settings: the run's own wins
        second.maxIters = 1; second.sampleTokens = 0
        try second.apply(override: "init_from=\(dir)/base")
        let next = try Trainer(config: second, runDirectory: "\(dir)/next")
        #expect(next.config.gpt.nEmbd == 24 && next.config.gpt.nHead == 3)
        #expect(PEFTAdapter.adapted(next.model).isEmpty, "the adapter is folded into the weights")
        next.model.eval()
        let got = withNoGrad { next.model.forward(idx, targets: nil).logits }
        #expect((got - want).abs().max().item() < 1e-5)

        // another tokenizer (a different character set) is refused before training
        let other = "\(dir)/other.txt"
        try String(repeating: "abab ba\n", count: 400).write(toFile: other, atomically: true, encoding: .utf8)
        var mismatched = tinyConfig(data: other)
        try mismatched.apply(override: "init_from=\(dir)/base")
        #expect { _ = try Trainer(config: mismatched, runDirectory: "\(dir)/mismatched") }
            throws: { "\($0)".contains("its tokenizer has") }
    }
}
