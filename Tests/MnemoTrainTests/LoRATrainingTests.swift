// LoRATrainingTests.swift — a LoRA stage through the trainer: only the adapters learn (the base is frozen and left
// out of the optimizer), a killed run resumes exactly, and the run loads back with its adapter.
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch
@testable import TorchNN

@Suite(.serialized) struct LoRATrainingTests {
    @Test func onlyTheAdaptersLearnAndAKilledRunResumesExactly() throws {
        let dir = try temporaryFolder("lora-train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.maxIters = 6; c.evalInterval = 3; c.checkpointInterval = 3; c.sampleTokens = 0; c.learningRate = 1e-2
        try c.apply(override: "lora_rank=2")
        try c.apply(override: "lora_alpha=4")
        let runs = try trainStraightAndResumed(c, in: dir, stoppingAt: 3)
        let a = runs.straightLines.compactMap { $0["train_loss"] as? Double }, b = runs.resumedLines.compactMap { $0["train_loss"] as? Double }
        #expect(a.count == 6 && a == b, "the resumed run's losses equal the uninterrupted run's")
        let trainer = runs.straight
        let adapted = PEFTAdapter.adapted(trainer.model)
        #expect(adapted.count == c.gpt.nLayer && adapted.allSatisfy { $0.path.hasSuffix("attn.c_attn") })   // GPT's fused qkv
        #expect(trainer.optimizer.allParameters.count == 2 * c.gpt.nLayer)                                  // A and B of each
        #expect(trainer.model.namedParameters().filter { !$0.name.contains(".lora_") }.allSatisfy { !$0.tensor.requiresGrad })
        // the base equals a fresh build with the same seed (frozen from the start); the adapters moved
        Random.seed(c.seedBits)
        var spec = c.model
        spec.configuration.vocabSize = trainer.data.tokenizer.vocabularySize
        let fresh = try spec.build()
        let trained = Dictionary(uniqueKeysWithValues: trainer.model.namedParameters().map { ($0.name, $0.tensor) })
        for (name, p) in fresh.namedParameters() {
            #expect((trained[name]! - p).abs().max().item() == 0, "\(name) is frozen")
        }
        #expect(adapted.allSatisfy { $0.layer.lora_B!.weight.abs().max().item() > 0 }, "B left zero")
        // a LoRA run loads back with its adapter: the same logits
        let loaded = try LoadedRun(runDirectory: "\(dir)/straight")
        let idx = Tensor([Int64](0..<8).map { $0 % 5 }, shape: [1, 8])
        trainer.model.eval()
        let want = withNoGrad { trainer.model.forward(idx, targets: nil).logits }
        #expect((withNoGrad { loaded.model.forward(idx, targets: nil).logits } - want).abs().max().item() == 0)
        #expect { var bad = c; try bad.apply(override: "lora_targets=nothing"); _ = try Trainer(config: bad, runDirectory: "\(dir)/bad") }
            throws: { "\($0)".contains("name no Linear of this model") }
    }
}
