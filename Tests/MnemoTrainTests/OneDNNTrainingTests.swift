// OneDNNTrainingTests.swift — `cpu_matmul = "onednn"` (the linear layers and short causal attention on oneDNN,
// Runtime.oneDNNKernels) trains as libtorch's BLAS path does: the same training and validation losses, step by step,
// for a GPT and a MiniMind (grouped-query heads); with the fused loss too, a killed run resumes exactly; and the
// `profile` hook's trace shows the oneDNN kernels ran; loading the run for sampling or evaluation turns them on too.
import Foundation
import MnemoModels
import Testing
import Torch
@testable import MnemoTrain

@Suite(.serialized) struct OneDNNTrainingTests {
    func losses(_ config: TrainConfig, matmul: CPUMatmul, in dir: String) throws -> [[String: Double]] {
        var config = config
        config.cpuMatmul = matmul
        let run = "\(dir)/\(matmul.rawValue)"
        let trainer = try Trainer(config: config, runDirectory: run)
        trainer.progress = false
        try trainer.run()
        return try metricLines(run).map { line in line.compactMapValues { $0 as? Double } }
    }

    /// The tiny test config of a GPT, or of a MiniMind with grouped-query heads, on a corpus written into `dir`.
    func tinyRunConfig(_ model: String, in dir: String) throws -> TrainConfig {
        var config = MnemoTrainTests.tinyConfig(data: try writeCorpus(in: dir))
        if model == "minimind" {
            for setting in ["model=minimind", "dim=16", "n_layers=2", "n_heads=2", "n_kv_heads=1", "max_seq_len=16"] {
                try config.apply(override: setting)
            }
        }
        return config
    }

    @Test(arguments: ["gpt", "minimind"])
    func oneDNNTrainsAsBLAS(model: String) throws {
        defer { Runtime.oneDNNKernels = false }
        let dir = try temporaryFolder("onednn-\(model)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try tinyRunConfig(model, in: dir)
        config.maxIters = 6; config.evalInterval = 3; config.lrDecayIters = 6
        let blas = try losses(config, matmul: .blas, in: dir), onednn = try losses(config, matmul: .onednn, in: dir)
        #expect(blas.count == onednn.count)
        var compared = 0
        for (a, b) in zip(blas, onednn) {
            for key in a.keys where key.hasSuffix("loss") {
                let (x, y) = (a[key]!, try #require(b[key], "\(key) missing from the oneDNN run"))
                #expect(abs(x - y) < 1e-4 * max(1, abs(x)), "\(key): \(x) vs \(y)")
                compared += 1
            }
        }
        #expect(compared >= 6 + 3, "train and val losses compared")
    }

    /// The fast path of the CPU presets (oneDNN and the fused loss) resumes a killed run exactly.
    @Test(arguments: ["gpt", "minimind"])
    func theFastPathResumesExactly(model: String) throws {
        defer { Runtime.oneDNNKernels = false }
        let dir = try temporaryFolder("onednn-resume-\(model)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try tinyRunConfig(model, in: dir)
        config.maxIters = 4; config.lrDecayIters = 4; config.evalInterval = 2; config.checkpointInterval = 2
        config.logInterval = 1
        config.cpuMatmul = .onednn
        config.fused = true
        let runs = try trainStraightAndResumed(config, in: dir, stoppingAt: 2)
        for key in ["train_loss", "val_loss"] {
            let a = runs.straightLines.compactMap { $0[key] as? Double }, b = runs.resumedLines.compactMap { $0[key] as? Double }
            #expect(a.count >= 2 && a.count == b.count, "\(key) lines")
            for (x, y) in zip(a, b) { #expect(x == y, "\(key): \(x) vs \(y)") }
        }
    }

    @Test func profileHookWritesATraceOfTheOneDNNKernels() throws {
        defer { Runtime.oneDNNKernels = false }
        let dir = try temporaryFolder("onednn-profile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        config.maxIters = 4; config.evalInterval = 0; config.lrDecayIters = 4
        config.cpuMatmul = .onednn
        config.hooks = ["profile:1-3"]
        let trainer = try Trainer(config: config, runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        let trace = try String(contentsOfFile: "\(dir)/run/profile_1-3.json", encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(trace.utf8)) as? [String: Any]
        let events = try #require(json?["traceEvents"] as? [[String: Any]], "a Chrome trace")
        let names = Set(events.compactMap { $0["name"] as? String })
        #expect(names.contains("mnemo::onednn_linear"))
        #expect(names.contains("mnemo::onednn_causal_attention"))
        #expect(names.contains("aten::_fused_adamw_") || names.contains { $0.contains("adam") }, "the optimizer step is in it")

        Runtime.oneDNNKernels = false
        _ = try LoadedRun(runDirectory: "\(dir)/run")
        #expect(Runtime.oneDNNKernels, "sampling and evaluation of the run compute as its training did")

        for bad in ["profile:3-3", "profile:x", "profile:-1-2"] {
            var refused = config
            refused.hooks = [bad]
            #expect { _ = try Trainer(config: refused, runDirectory: "\(dir)/\(bad.count)") } throws: { error in
                "\(error)".contains("START-END")
            }
        }
    }
}
