// RegistryConformanceTests.swift — every model in ModelRegistry.all, at its tiny shape, goes through the life a run
// gives it: trains two steps, checkpoints, resumes exactly (the resumed run's losses equal the uninterrupted run's),
// generates the same tokens with and without its KV cache, and, when it declares a Hugging Face counterpart, comes
// back from its exported folder with the same logits. A new model is covered by its registry line alone.
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch

@Suite(.serialized) struct RegistryConformanceTests {
    @Test(arguments: ModelRegistry.names)
    func everyRegisteredModelTrainsResumesGeneratesAndRoundTrips(name: String) throws {
        let entry = try #require(ModelRegistry.entry(name))
        let dir = try temporaryFolder("conformance-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = TrainConfig()
        config.data = try writeCorpus(in: dir)
        config.model = entry.tiny
        config.batchSize = 4; config.maxIters = 2; config.warmupIters = 1; config.lrDecayIters = 2
        config.evalInterval = 2; config.checkpointInterval = 1; config.evalIters = 2; config.logInterval = 1
        config.sampleTokens = 4

        // two steps, and the same two steps killed after the first checkpoint and resumed
        let runs = try trainStraightAndResumed(config, in: dir, stoppingAt: 1)
        for key in ["train_loss", "val_loss"] {
            let a = runs.straightLines.compactMap { $0[key] as? Double }, b = runs.resumedLines.compactMap { $0[key] as? Double }
            #expect(!a.isEmpty && a.count == b.count, "\(name): \(key) lines")
            for (x, y) in zip(a, b) { #expect(Swift.abs(x - y) <= 1e-6, "\(name): \(key) \(x) vs \(y)") }
        }
        let checkpoint = try #require(Checkpoint.latest(root: "\(dir)/straight/checkpoints"))
        #expect(try Checkpoint.state(folder: checkpoint).step == 2)

        // generation: greedy, with and without the KV cache, the same tokens
        let loaded = try LoadedRun(runDirectory: "\(dir)/straight")
        let prompt = Tensor([Int64](repeating: 1, count: 3), shape: [1, 3])
        let cached = loaded.model.generate(prompt, maxNewTokens: 20, topK: 1, useCache: true)
        let recomputed = loaded.model.generate(prompt, maxNewTokens: 20, topK: 1, useCache: false)
        #expect(cached.shape == [1, 23] && cached.toArray(Int64.self) == recomputed.toArray(Int64.self), "\(name): generation")

        // Hugging Face: export and import give the same logits
        guard entry.exportsToHuggingFace else { return }
        try HuggingFaceExport.write(loaded.model, to: "\(dir)/hf")
        let back = try HuggingFaceImport.model("\(dir)/hf")
        back.eval()
        let idx = Tensor([Int64](0..<8).map { $0 % 5 }, shape: [1, 8])
        let a = withNoGrad { loaded.model.forward(idx, targets: nil).logits }
        let b = withNoGrad { back.forward(idx, targets: nil).logits }
        #expect(a.shape == b.shape && (a - b).abs().max().item() < 1e-5, "\(name): Hugging Face round trip")
    }
}
