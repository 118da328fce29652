// TrainerTests.swift — the training loop end to end on a small text: metrics, checkpoints, exact resume,
// and clear errors for bad configs and data.
import Foundation
import Testing
import TorchNN
@testable import MnemoTrain
@testable import Torch
import TorchOptim

func temporaryFolder(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mnemo-\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A few KB of text with structure a tiny model can learn.
func writeCorpus(in folder: String) throws -> String {
    var text = ""
    for i in 0..<400 { text += "line \(i % 17): the quick brown fox jumps over the lazy dog.\n" }
    let path = "\(folder)/corpus.txt"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func tinyConfig(data: String) -> TrainConfig {
    var c = TrainConfig()
    c.data = data
    c.gpt.nLayer = 1; c.gpt.nHead = 2; c.gpt.nEmbd = 16; c.gpt.blockSize = 16
    c.batchSize = 4; c.maxIters = 20; c.warmupIters = 2; c.lrDecayIters = 20
    c.evalInterval = 10; c.evalIters = 2; c.logInterval = 1; c.sampleTokens = 8
    c.evalFull = true
    return c
}

/// Trains `config` straight through in DIR/straight, and again in DIR/stopped stopped right after the checkpoint of
/// step `stop` (as a killed run) and resumed; returns the straight trainer and both runs' metric lines.
@discardableResult
func trainStraightAndResumed(_ config: TrainConfig, in dir: String, stoppingAt stop: Int)
    throws -> (straight: Trainer, val: Double?, straightLines: [[String: Any]], resumedLines: [[String: Any]]) {
    let straight = try Trainer(config: config, runDirectory: "\(dir)/straight")
    straight.progress = false
    let val = try straight.run()
    let stopped = try Trainer(config: config, runDirectory: "\(dir)/stopped")
    stopped.progress = false
    try stopped.run(stoppingAt: stop)
    let resumed = try Trainer.resume(runDirectory: "\(dir)/stopped")
    resumed.progress = false
    try resumed.run()
    return (straight, val, try metricLines("\(dir)/straight"), try metricLines("\(dir)/stopped"))
}

func metricLines(_ run: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: "\(run)/metrics.jsonl", encoding: .utf8)
    return text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
}

@Suite(.serialized) struct TrainerTests {
    @Test func trainsLogsAndCheckpoints() throws {
        let dir = try temporaryFolder("train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = "\(dir)/run"
        let trainer = try Trainer(config: tinyConfig(data: try writeCorpus(in: dir)), runDirectory: run)
        trainer.progress = false
        let val = try #require(try trainer.run())
        let lines = try metricLines(run)
        let train = lines.filter { $0["train_loss"] != nil }
        #expect(train.count == 20)
        for key in ["step", "train_loss", "lr", "grad_norm", "tok_per_s"] { #expect(train[0][key] != nil, "missing \(key)") }
        let evals = lines.filter { $0["val_loss"] != nil }
        #expect(evals.map { $0["step"] as! Int } == [0, 10, 20])
        #expect(evals.last!["val_loss_full"] != nil)
        #expect(val < (evals.first!["val_loss"] as! Double), "the model learned something")
        for file in ["config.json", "log.txt", "tokenizer.json", "checkpoints/latest", "samples/step_000010.txt"] {
            #expect(FileManager.default.fileExists(atPath: "\(run)/\(file)"), "\(file)")
        }
        let loaded = try LoadedRun(runDirectory: run)
        #expect(loaded.step == 20)
    }

    @Test func resumedRunMatchesUninterruptedRun() throws {
        let dir = try temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = try writeCorpus(in: dir)
        var config = tinyConfig(data: corpus)
        config.gpt.dropout = 0.1  // the global generator must be restored too
        config.maxIters = 30
        config.lrDecayIters = 30

        let runs = try trainStraightAndResumed(config, in: dir, stoppingAt: 10)  // killed after the step-10 checkpoint
        let a = runs.straightLines.filter { $0["train_loss"] != nil }
        let b = runs.resumedLines.filter { $0["train_loss"] != nil }
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x["step"] as! Int == y["step"] as! Int)
            let dx = x["train_loss"] as! Double, dy = y["train_loss"] as! Double
            #expect(Swift.abs(dx - dy) < 1e-5, "step \(x["step"]!): \(dx) vs \(dy)")
        }
        let va = runs.straightLines.compactMap { $0["val_loss"] as? Double }
        let vb = runs.resumedLines.compactMap { $0["val_loss"] as? Double }
        #expect(va.count == vb.count)
        for (x, y) in zip(va, vb) { #expect(Swift.abs(x - y) < 1e-5) }
    }

    @Test(arguments: [LossKind.stablemax, .logStablemax])
    func stableMaxAndOrthogonalAdamWTrainAnLM(loss: LossKind) throws {
        let dir = try temporaryFolder("stablemax")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.loss = loss
        c.orthogonal = true
        c.orthogonalSkip = ["bias", "ln_"]
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        #expect(trainer.hooks.contains { $0 is OrthogonalGradientHook })   // ⊥Grad is an after-backward hook
        try trainer.run()
        let lines = try metricLines("\(dir)/run")
        let evals = lines.filter { $0["val_loss"] != nil }
        #expect((evals.last!["val_loss"] as! Double) < (evals.first!["val_loss"] as! Double))
        for key in ["sc_fraction", "median_margin", "head_weight_norm"] { #expect(evals.last![key] != nil, "\(key)") }
        var bad = c
        #expect { try bad.apply(override: "loss=sparsemax") } throws: { "\($0)".contains("must be one of softmax, stablemax, log_stablemax") }
    }

    @Test func badInputStopsWithAMessage() throws {
        let dir = try temporaryFolder("bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = TrainConfig()
        #expect(throws: ConfigError.self) { try c.apply(override: "n_layers=3") }
        do { try c.apply(override: "n_layers=3") } catch { #expect("\(error)".contains("did you mean 'n_layer'")) }
        #expect(throws: ConfigError.self) { try c.apply(override: "max_iters=lots") }
        try c.apply(override: "max_iters=7")
        #expect(c.maxIters == 7)

        let toml = "\(dir)/bad.toml"
        try "n_layer = 2\nlearning_rat = 0.1\n".write(toFile: toml, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try TrainConfig.load(toml) }

        let empty = "\(dir)/empty.txt"
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try Trainer(config: tinyConfig(data: empty), runDirectory: "\(dir)/r1") }
        #expect(throws: ConfigError.self) { try Trainer(config: tinyConfig(data: "\(dir)/missing.txt"), runDirectory: "\(dir)/r2") }
        var small = tinyConfig(data: try writeCorpus(in: dir))
        small.gpt.vocabSize = 10  // the corpus has more characters than that
        do {
            _ = try Trainer(config: small, runDirectory: "\(dir)/r3")
            Issue.record("a vocabulary larger than vocab_size must be refused")
        } catch {
            #expect("\(error)".contains("raise vocab_size"))
        }
    }

    @Test func presetsParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["shakespeare-char-cpu", "baby-gpt", "gpt2-124m"] {
            let c = try TrainConfig.load(root.appendingPathComponent("configs/\(name).toml").path)
            var model = c.gpt
            if model.vocabSize == 0 { model.vocabSize = 65 }  // 0 follows the tokenizer
            #expect(c.model.name == "gpt" && model.problems().isEmpty, "\(name)")
            #expect(c.problems() == ["no training data: set data = \"path/to/text.txt\" (or --set data=...)"])
        }
        for name in ["minimind-cpu", "minimind2"] {
            let c = try TrainConfig.load(root.appendingPathComponent("configs/\(name).toml").path)
            #expect(c.model.name == "minimind" && c.model.configuration.problems().isEmpty, "\(name)")
            #expect(c.problems() == ["no training data: set data = \"path/to/text.txt\" (or --set data=...)"], "\(name)")
        }
        let sc = try TrainConfig.load(root.appendingPathComponent("configs/shakespeare-char-cpu.toml").path)
        #expect(sc.gpt.nLayer == 4 && sc.gpt.nHead == 4 && sc.gpt.nEmbd == 128 && sc.blockSize == 64 && sc.batchSize == 12)
        #expect(sc.maxIters == 2000 && sc.learningRate == 1e-3 && sc.minLR == 1e-4 && sc.warmupIters == 100)
        #expect(sc.beta2 == 0.99 && sc.weightDecay == 0.1 && sc.gpt.dropout == 0 && !sc.gpt.bias && sc.gradClip == 1.0)
        #expect(sc.cpuMatmul == .onednn && sc.fused, "the CPU preset runs the fast path")
    }
}
