// TrainerBugTests.swift — bugs found by trying Mnemo as a new user would; each test failed before its fix.
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch
import TorchNN
import TorchOptim

@Suite(.serialized) struct TrainerBugTests {
    /// `--set seed=-1` killed the process (SIGILL converting to UInt64); negative seeds wrap as torch.manual_seed.
    @Test func negativeSeedsTrain() throws {
        let dir = try temporaryFolder("seed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        try c.apply(override: "seed=-1")
        c.maxIters = 2
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        #expect(try trainer.run() != nil)
        #expect(c.seedBits == UInt64.max)
    }

    /// warmup_iters == lr_decay_iters gave lr = NaN (0/0); decay_lr = false still warmed up.
    @Test func schedulesWithoutADecayPhaseOrWithoutDecay() throws {
        let s = WarmupCosineSchedule(lr: 1e-3, minLR: 1e-4, warmupSteps: 0, decaySteps: 0)
        #expect((0..<5).map { s($0) } == [1e-4, 1e-4, 1e-4, 1e-4, 1e-4])
        let w = WarmupCosineSchedule(lr: 1e-3, minLR: 1e-4, warmupSteps: 3, decaySteps: 3)
        #expect((0..<5).allSatisfy { w($0).isFinite })
        let dir = try temporaryFolder("constant")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.decayLR = false
        c.maxIters = 4
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        let lrs = try metricLines("\(dir)/run").filter { $0["train_loss"] != nil }.map { $0["lr"] as! Double }
        #expect(lrs == [c.learningRate, c.learningRate, c.learningRate, c.learningRate])
        var zero = tinyConfig(data: "x")
        zero.warmupIters = 0; zero.lrDecayIters = 0
        #expect(zero.problems() == [])
    }

    /// `--resume RUN --set max_iters=…` ignored the --set; now it extends the run, and shape changes are refused.
    @Test func resumeTakesSettingsThatKeepTheCheckpointMeaningful() throws {
        let dir = try temporaryFolder("extend")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.maxIters = 10; c.lrDecayIters = 10; c.evalInterval = 5
        let first = try Trainer(config: c, runDirectory: "\(dir)/run")
        first.progress = false
        try first.run()
        let more = try Trainer.resume(runDirectory: "\(dir)/run", overrides: ["max_iters=16", "eval_interval=8"])
        more.progress = false
        try more.run()
        let lines = try metricLines("\(dir)/run")
        #expect(lines.filter { $0["train_loss"] != nil }.map { $0["step"] as! Int } == Array(0..<16))
        #expect(lines.filter { $0["val_loss"] != nil }.map { $0["step"] as! Int } == [0, 5, 10, 16])
        #expect(try TrainConfig.load("\(dir)/run/config.json").maxIters == 16)
        do {
            _ = try Trainer.resume(runDirectory: "\(dir)/run", overrides: ["n_layer=2", "seed=3"])
            Issue.record("a shape change on resume must be refused")
        } catch {
            #expect("\(error)".contains("cannot change n_layer, seed"))
        }
    }

    /// Weights that turned NaN reached the evaluation, which printed `val loss -nan` and went on to trap in
    /// multinomial; now evaluation stops the run with a message and the checkpoint kept.
    @Test func nonFiniteWeightsStopAtEvaluation() throws {
        let dir = try temporaryFolder("nan")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.weightDecay = 1e30
        c.evalInterval = 1
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        do {
            try trainer.run()
            Issue.record("NaN weights must stop the run")
        } catch {
            #expect("\(error)".contains("no longer finite") || "\(error)".contains("the loss became"), "\(error)")
        }
        #expect(FileManager.default.fileExists(atPath: "\(dir)/run/metrics.jsonl"))
    }

    /// The tokenizer of a run lived at paths relative to where training ran; now its files travel with the run.
    @Test func aRunFolderWorksAfterItsTokenizerFilesMove() throws {
        let dir = try temporaryFolder("tokenizer")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gpt2 = sharedDataPath("gpt2")
        let moved = "\(dir)/tok"
        try FileManager.default.createDirectory(atPath: moved, withIntermediateDirectories: true)
        for f in ["encoder.json", "vocab.bpe"] { try FileManager.default.copyItem(atPath: "\(gpt2)/\(f)", toPath: "\(moved)/\(f)") }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.tokenizer = "gpt2:\(moved)"
        c.gpt.vocabSize = 50304
        c.maxIters = 1; c.evalIters = 1; c.evalFull = false; c.sampleTokens = 0
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        try FileManager.default.removeItem(atPath: moved)
        let loaded = try LoadedRun(runDirectory: "\(dir)/run")
        #expect(loaded.tokenizer.decode(loaded.tokenizer.encode("Hello world")) == "Hello world")
        #expect(try String(contentsOfFile: "\(dir)/run/tokenizer.spec", encoding: .utf8) == "gpt2:tokenizer")
    }

    /// A StableMax-trained run is sampled from StableMax (it was sampled from softmax).
    @Test func loadedRunsKnowTheirLossKind() throws {
        let dir = try temporaryFolder("stablemax-sample")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.loss = .stablemax; c.maxIters = 1
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        let loaded = try LoadedRun(runDirectory: "\(dir)/run")
        #expect(loaded.lossKind == .stablemax && loaded.device == .cpu)
        let logits = Tensor([[3, -1, 0.5]] as [[Float]])
        #expect((probabilities(loaded.lossKind)(logits) - stableMax(logits)).abs().max().item() == 0)
    }

    /// A fuzz of configs and `--set` values: every combination either trains or stops with an error that says what to fix (a
    /// crash here kills the test process, which is the failure). 5,000 settings are parsed and checked; those
    /// that pass and stay small train for up to 3 steps.
    @Test func fuzzedSettingsGiveClearErrorsNeverACrash() throws {
        let dir = try temporaryFolder("fuzz")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = try writeCorpus(in: dir)
        var base = tinyConfig(data: corpus)
        base.maxIters = 2; base.evalIters = 1; base.evalInterval = 1; base.sampleTokens = 4; base.evalFull = false
        base.gpt.nEmbd = 8; base.gpt.blockSize = 8
        let keys = base.keys.filter { $0 != "data" }
        let pool = ["-1", "0", "1", "2", "3", "-inf", "inf", "nan", "1e30", "-1e30", "0.5", "0.999", "1.5", "abc", "",
                    "true", "false", "9223372036854775807", "-9223372036854775808", "1e-9", "cuda", "cuda:7", "gpt", "minimind",
                    "mlp", "bfloat16", "stablemax", "log_stablemax", "char", "gpt2:/nonexistent", "hf:/nonexistent.json"]
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next(_ n: Int) -> Int {   // a fixed stream (splitmix64), so a failure reproduces
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return Int((z ^ (z >> 31)) % UInt64(n))
        }
        var parsed = 0, rejected = 0, trained = 0, stopped = 0
        for round in 0..<5000 {
            var c = base
            var ok = true
            for _ in 0..<(1 + next(3)) {
                let key = keys[next(keys.count)], value = pool[next(pool.count)]
                do { try c.apply(override: "\(key)=\(value)") } catch is ConfigError { ok = false } catch {
                    Issue.record("--set \(key)=\(value): not a ConfigError: \(error)")
                }
            }
            guard ok else { rejected += 1; continue }
            parsed += 1
            guard c.problems().isEmpty else { continue }
            // train only what stays small and quick
            guard c.maxIters <= 3, c.evalIters <= 3, c.sampleTokens <= 16, c.batchSize * c.blockSize <= 256,
                  c.gradientAccumulationSteps <= 3, c.threads <= 4, trained < 200 else { continue }
            if case .int(let v) = c.model.value("vocab_size") ?? .int(0), v > 1000 { continue }
            if case .int(let v) = c.model.value("n_hidden") ?? .int(0), v > 256 { continue }
            if case .int(let v) = c.model.value("n_layer") ?? .int(0), v > 3 { continue }
            if case .int(let v) = c.model.value("n_embd") ?? .int(0), v > 64 { continue }
            trained += 1
            do {
                let trainer = try Trainer(config: c, runDirectory: "\(dir)/run\(round)")
                trainer.progress = false
                try trainer.run()
            } catch let error as TorchError {
                Issue.record("round \(round): \(c.dictionary): libtorch failed instead of a settings check: \(error)")
            } catch {
                stopped += 1   // ConfigError, or the tokenizer's or data's own error: each says what to fix
                #expect("\(error)".count > 10, "round \(round): an error without a message")
            }
            try? FileManager.default.removeItem(atPath: "\(dir)/run\(round)")
        }
        #expect(parsed > 500 && rejected > 1000 && trained > 100, "parsed \(parsed), rejected \(rejected), trained \(trained), stopped \(stopped)")
    }
}

/// `../shared/data/NAME` beside the checkout (three folders up from this file).
func sharedDataPath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/\(name)").standardized.path
}

/// `mnemo train --init-from DIR` (nanoGPT's init_from) and `mnemo sample DIR` for a Hugging Face GPT-2 folder.
@Suite(.serialized) struct InitFromHuggingFaceTests {
    /// The transformers fixture (Tests/MnemoModelsTests/Fixtures/gpt2_hf) as a Hugging Face folder with GPT-2's
    /// tokenizer files under their Hugging Face names.
    static func folder(in dir: String) throws -> (String, [String: Tensor]) {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../MnemoModelsTests/Fixtures/gpt2_hf.safetensors").standardized.path
        let (f, meta) = try SafeTensorsIO.loadWithMetadata(fixture)
        let folder = "\(dir)/hf"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var config = try JSONSerialization.jsonObject(with: Data(meta["config"]!.utf8)) as! [String: Any]
        config["model_type"] = "gpt2"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: "\(folder)/config.json"))
        let weights = f.filter { $0.key.hasPrefix("param.") }
        try SafeTensorsIO.save(Dictionary(uniqueKeysWithValues: weights.map { (String($0.key.dropFirst(6)), $0.value) }),
                               to: "\(folder)/model.safetensors")
        let gpt2 = sharedDataPath("gpt2")
        try FileManager.default.copyItem(atPath: "\(gpt2)/encoder.json", toPath: "\(folder)/vocab.json")
        try FileManager.default.copyItem(atPath: "\(gpt2)/vocab.bpe", toPath: "\(folder)/merges.txt")
        return (folder, f)
    }

    @Test func trainingStartsFromTheFoldersWeightsAndShape() throws {
        let dir = try temporaryFolder("initfrom")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (folder, f) = try Self.folder(in: dir)
        var c = tinyConfig(data: try writeCorpus(in: dir))   // char vocabulary (< 100 tokens) fits the fixture's 100
        c.initFrom = folder
        c.maxIters = 3; c.evalInterval = 3
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        let weights = trainer.model.stateDict()
        #expect((weights["transformer.h.0.attn.c_attn.weight"]! - f["param.transformer.h.0.attn.c_attn.weight"]!.T).abs().max().item() == 0)
        #expect(trainer.config.gpt.nEmbd == 32 && trainer.config.blockSize == 16 && trainer.config.gpt.bias)
        try trainer.run()
        let saved = try TrainConfig.load("\(dir)/run/config.json")
        #expect(saved.gpt.nLayer == 2 && saved.gpt.vocabSize == 100 && saved.initFrom == folder)
        let more = try Trainer.resume(runDirectory: "\(dir)/run", overrides: ["max_iters=4"])   // rebuilt from config.json
        more.progress = false
        try more.run()

        // sampling straight from the folder, with its tokenizer (vocab.json + merges.txt)
        let loaded = try LoadedRun(runDirectory: folder)
        #expect(loaded.model is GPT && loaded.tokenizer.vocabularySize == 50257)
        let logits = (loaded.model as! GPT)(f["idx"]!)
        #expect((logits - f["logits"]!).abs().max().item() < 1e-4)

        // the folder's own GPT-2 tokenizer (vocab.json + merges.txt) travels with a run that names it
        var withItsTokenizer = tinyConfig(data: try writeCorpus(in: dir))
        withItsTokenizer.tokenizer = "gpt2:\(folder)"
        withItsTokenizer.gpt.vocabSize = 50304
        withItsTokenizer.maxIters = 1; withItsTokenizer.evalIters = 1; withItsTokenizer.sampleTokens = 0; withItsTokenizer.evalFull = false
        let run3 = try Trainer(config: withItsTokenizer, runDirectory: "\(dir)/run3")
        run3.progress = false
        try run3.run()
        #expect(try LoadedRun(runDirectory: "\(dir)/run3").tokenizer.vocabularySize == 50257)

        var wrong = tinyConfig(data: try writeCorpus(in: dir))
        wrong.initFrom = "\(dir)/nothing"
        do { _ = try Trainer(config: wrong, runDirectory: "\(dir)/run2"); Issue.record("a missing folder must be refused") } catch {
            #expect("\(error)".contains("not a Hugging Face model folder"))
        }
    }
}

/// MiniMind's pretraining schedule, by name (`lr_schedule = "minimind"`).
@Suite struct MiniMindScheduleTests {
    @Test func runsFromElevenTenthsToOneTenth() throws {
        let s = MiniMindSchedule(lr: 5e-4, totalSteps: 100)
        #expect(Swift.abs(s(0) - 5.5e-4) < 1e-15 && Swift.abs(s(100) - 5e-5) < 1e-15 && Swift.abs(s(500) - 5e-5) < 1e-15)
        #expect(Swift.abs(s(50) - (5e-5 + 2.5e-4)) < 1e-15)
        #expect((0..<100).allSatisfy { s($0) >= s($0 + 1) })
        var c = tinyConfig(data: "x")
        try c.apply(override: "lr_schedule=minimind")
        c.warmupIters = 500   // ignored by MiniMind's schedule, so not an error
        #expect(c.problems().isEmpty)
        #expect { try c.apply(override: "lr_schedule=linear") } throws: { "\($0)".contains("'lr_schedule' must be one of cosine, minimind") }
    }
}
