// FusedLossTests.swift — `fused = true` (the head's cross-entropy in chunks, FusedLossModel) trains as the unfused
// run does: the same training and validation losses, step by step, for a GPT with the last layer's loss, a looped
// GPT with every layer's loss (and its per-layer metrics) and a MiniMind; settings that need the logits are refused
// with the reason.
import Foundation
import MnemoModels
import Testing
@testable import MnemoTrain

@Suite(.serialized) struct FusedLossTests {
    func losses(_ config: TrainConfig, fused: Bool, in dir: String) throws -> [[String: Double]] {
        var config = config
        config.fused = fused
        let run = "\(dir)/\(fused ? "fused" : "plain")"
        let trainer = try Trainer(config: config, runDirectory: run)
        trainer.progress = false
        try trainer.run()
        return try metricLines(run).map { line in line.compactMapValues { $0 as? Double } }
    }

    @Test(arguments: ["last", "all", "minimind"])
    func fusedTrainsAsUnfused(variant: String) throws {
        let dir = try temporaryFolder("fused-\(variant)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        config.maxIters = 6; config.evalInterval = 3; config.lrDecayIters = 6
        let settings = variant == "minimind"
            ? ["model=minimind", "dim=16", "n_layers=2", "n_heads=2", "n_kv_heads=1", "max_seq_len=16"]
            : ["n_layer=3", "layer_loss=\(variant)"]
        for setting in settings { try config.apply(override: setting) }
        let plain = try losses(config, fused: false, in: dir), fused = try losses(config, fused: true, in: dir)
        #expect(plain.count == fused.count)
        var compared = 0
        for (a, b) in zip(plain, fused) {
            for key in a.keys where key.contains("loss") {
                let (x, y) = (a[key]!, try #require(b[key], "\(key) missing from the fused run"))
                #expect(abs(x - y) < 1e-4 * max(1, abs(x)), "\(key): \(x) vs \(y)")
                compared += 1
            }
        }
        #expect(compared >= 6 + 3 + (variant == "all" ? 6 * 3 : 0), "train, val and (all layers) per-layer losses compared")
    }

    @Test func settingsThatNeedTheLogitsAreRefused() throws {
        let dir = try temporaryFolder("fused-refused")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        config.fused = true
        for (setting, reason) in [("label_smoothing=0.1", "label_smoothing"), ("loss=stablemax", "loss = stablemax"),
                                  ("early_exit=threshold", "early exit")] {
            var refused = config
            try refused.apply(override: setting)
            #expect { _ = try Trainer(config: refused, runDirectory: "\(dir)/\(reason.count)") } throws: { error in
                "\(error)".contains("fused = true") && "\(error)".contains(reason)
            }
        }
    }
}
