// LanguageModelCoreTests.swift — the trainer is not GPT's: a model that is not GPT (the MLP language model, with an
// auxiliary loss and a metric of its own) trains, checkpoints, resumes exactly, samples and reports through the
// same code; hooks run in their documented order; ⊥Grad as a hook equals the ⊥AdamW wrapper; config files name
// the model and its keys.
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoTrain
import MnemoReport
@testable import Torch
import TorchNN
import TorchOptim

func tinyMLPConfig(data: String) throws -> TrainConfig {
    var c = TrainConfig()
    c.data = data
    try c.set("model", "mlp", source: "test")
    for (k, v) in [("block_size", "16"), ("context", "3"), ("n_embd", "8"), ("n_hidden", "32"), ("z_loss", "0.01")] {
        try c.apply(override: "\(k)=\(v)")
    }
    c.batchSize = 4; c.maxIters = 20; c.warmupIters = 2; c.lrDecayIters = 20; c.learningRate = 3e-3
    c.evalInterval = 10; c.evalIters = 2; c.logInterval = 1; c.sampleTokens = 8; c.evalFull = true
    return c
}

@Suite(.serialized) struct LanguageModelCoreTests {
    @Test func aModelThatIsNotGPTTrainsResumesSamplesAndReports() throws {
        let dir = try temporaryFolder("mlp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try tinyMLPConfig(data: try writeCorpus(in: dir))
        config.maxIters = 30
        config.lrDecayIters = 30

        let runs = try trainStraightAndResumed(config, in: dir, stoppingAt: 10)
        #expect(runs.straight.model is MLPLanguageModel)
        let val = try #require(runs.val)
        let a = runs.straightLines, b = runs.resumedLines
        let trainA = a.filter { $0["train_loss"] != nil }, trainB = b.filter { $0["train_loss"] != nil }
        #expect(trainA.count == 30 && trainA.count == trainB.count)
        for (x, y) in zip(trainA, trainB) {
            let dx = x["train_loss"] as! Double, dy = y["train_loss"] as! Double
            #expect(Swift.abs(dx - dy) < 1e-5, "step \(x["step"]!): \(dx) vs \(dy)")
        }
        // its auxiliary loss and its metric are logged on every training line
        for line in trainA {
            let z = try #require(line["z_loss"] as? Double), s = try #require(line["tanh_saturated"] as? Double)
            #expect(z > 0 && (0...1).contains(s))
        }
        let evals = a.filter { $0["val_loss"] != nil }
        #expect(val < (evals.first!["val_loss"] as! Double), "the model learned something")
        #expect(evals.last!["head_weight_norm"] != nil && evals.last!["sc_fraction"] != nil)

        // the run's config names the model; sampling and evaluation rebuild it from the registry
        let saved = try TrainConfig.load("\(dir)/straight/config.json")
        #expect(saved.model.name == "mlp" && saved.model.value("n_hidden") == .int(32))
        let loaded = try LoadedRun(runDirectory: "\(dir)/straight")
        #expect(loaded.model is MLPLanguageModel && loaded.step == 30)
        let out = loaded.model.generate(Tensor([1], shape: [1, 1]), maxNewTokens: 12, generator: Generator(seed: 1))
        #expect(out.shape == [1, 13])

        // the report charts its own series
        let html = Report.html(runs: [try RunRecord(directory: "\(dir)/straight")])
        #expect(html.contains("z_loss") && html.contains("tanh_saturated"))
    }

    @Test func lastLogitsEqualTheFullForwardsLastPosition() throws {
        var mlp = MLPLanguageModelConfig()
        mlp.vocabSize = 11; mlp.context = 3; mlp.blockSize = 8
        var gpt = GPTConfig.defaults
        gpt.vocabSize = 11; gpt.blockSize = 8; gpt.nLayer = 1; gpt.nHead = 2; gpt.nEmbd = 8
        Random.seed(3)
        for model in [MLPLanguageModel(mlp) as any LanguageModel, GPT(gpt)] {
            model.eval()
            for t in [1, 2, 5, 8] {
                let idx = Tensor.randint(0, 11, [2, t], generator: Generator(seed: UInt64(t)))
                let full = model.forward(idx, targets: nil).logits.select(dim: 1, index: -1)
                let last = model.lastLogits(idx)
                #expect((full - last).abs().max().item() < 1e-5, "\(type(of: model)) T=\(t)")
            }
        }
    }

    @Test func hooksRunInStageOrderAroundTheOptimizerStep() throws {
        final class Recorder: TrainingHook {
            let name: String
            let stage: HookStage
            let log: Log
            final class Log { var lines: [String] = [] }
            init(_ name: String, _ stage: HookStage, _ log: Log) { self.name = name; self.stage = stage; self.log = log }
            func afterBackward(_ c: StepContext) {
                let hasGradients = c.optimizer.allParameters.allSatisfy { $0.grad != nil }
                log.lines.append("\(name).afterBackward(\(c.step), grads: \(hasGradients))")
            }
            func afterOptimizerStep(_ c: StepContext) { log.lines.append("\(name).afterStep(\(c.step))") }
            func atEvaluation(_ c: StepContext) -> [String: Double] {
                ["\(name)_eval": Double(c.step) + (c.evaluationBatch == nil ? 0.5 : 0)]
            }
        }
        let dir = try temporaryFolder("hooks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try tinyMLPConfig(data: try writeCorpus(in: dir))
        config.maxIters = 2
        config.evalInterval = 2
        config.sampleTokens = 0
        let trainer = try Trainer(config: config, runDirectory: "\(dir)/run")
        trainer.progress = false
        let log = Recorder.Log()
        trainer.addHook(Recorder("other", .other, log))
        trainer.addHook(Recorder("transform", .transformGradients, log))
        trainer.addHook(Recorder("sync", .synchronizeGradients, log))
        try trainer.run()
        #expect(log.lines == [
            "sync.afterBackward(0, grads: true)", "transform.afterBackward(0, grads: true)", "other.afterBackward(0, grads: true)",
            "sync.afterStep(0)", "transform.afterStep(0)", "other.afterStep(0)",
            "sync.afterBackward(1, grads: true)", "transform.afterBackward(1, grads: true)", "other.afterBackward(1, grads: true)",
            "sync.afterStep(1)", "transform.afterStep(1)", "other.afterStep(1)",
        ])
        let evals = try metricLines("\(dir)/run").filter { $0["val_loss"] != nil }
        #expect(evals.map { $0["sync_eval"] as? Double } == [0, 2])   // with an evaluation batch
    }

    @Test func orthogonalGradientHookEqualsTheOrthogonalizedOptimizer() throws {
        func run(hook: Bool) -> [Float] {
            let w = Tensor.randn([4, 5], generator: Generator(seed: 1)).requiringGrad()
            let b = Tensor.randn([4], generator: Generator(seed: 2)).requiringGrad()
            let group = ParameterGroup(params: [w, b], names: ["fc.weight", "fc.bias"], lr: 1e-2, weightDecay: 0.1,
                                       betas: (0.9, 0.99), eps: 1e-8)
            let base = AdamW(groups: [group])
            let optimizer: any Optimizer = hook ? base : orthogonalized(base, skipSubstrings: ["bias"])
            let orthogonal = OrthogonalGradientHook(skipSubstrings: ["bias"], skipOneDimensional: false)
            for k in 0..<3 {
                w.grad = Tensor.randn([4, 5], generator: Generator(seed: UInt64(10 + k)))
                b.grad = Tensor.randn([4], generator: Generator(seed: UInt64(20 + k)))
                if hook {
                    orthogonal.afterBackward(StepContext(step: k, model: MLPLanguageModel(MLPLanguageModelConfig.small),
                                                         optimizer: optimizer, device: .cpu))
                }
                optimizer.step()
            }
            return w.detached().toArray(Float.self) + b.detached().toArray(Float.self)
        }
        #expect(run(hook: true) == run(hook: false))
    }

    @Test func configFilesNameTheModelFlatOrInATable() throws {
        let dir = try temporaryFolder("modelconfig")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let flat = "\(dir)/flat.toml", table = "\(dir)/table.toml", json = "\(dir)/run.json"
        try "model = \"mlp\"\nn_hidden = 64\nmax_iters = 7\n".write(toFile: flat, atomically: true, encoding: .utf8)
        try "max_iters = 7\n[model]\nname = \"mlp\"\nn_hidden = 64\n".write(toFile: table, atomically: true, encoding: .utf8)
        let a = try TrainConfig.load(flat), b = try TrainConfig.load(table)
        #expect(a == b && a.model.name == "mlp" && a.model.value("n_hidden") == .int(64) && a.maxIters == 7)
        // config.json round-trips; a file without "model" is a GPT one (run folders made before models were named)
        try a.jsonData().write(to: URL(fileURLWithPath: json))
        #expect(try TrainConfig.load(json) == a)
        try "n_layer = 2\n".write(toFile: flat, atomically: true, encoding: .utf8)
        #expect(try TrainConfig.load(flat).gpt.nLayer == 2)
        // another model's key, a misspelt one, an unknown model: each says what to fix
        try "model = \"mlp\"\nn_layer = 2\n".write(toFile: flat, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try TrainConfig.load(flat) }
        var c = TrainConfig()
        do { try c.apply(override: "n_layr=3"); Issue.record("accepted n_layr") } catch {
            #expect("\(error)".contains("did you mean 'n_layer'"))
        }
        do { try c.apply(override: "model=transformerxl"); Issue.record("accepted an unknown model") } catch {
            #expect("\(error)".contains("known models: gpt, minimind, mlp"))
        }
        try c.apply(override: "model.n_layer=3")
        #expect(c.gpt.nLayer == 3)
    }
}

extension MLPLanguageModelConfig {
    static var small: MLPLanguageModelConfig {
        var c = MLPLanguageModelConfig()
        c.vocabSize = 5
        return c
    }
}

/// MiniMind (with its mixture of experts) through the same trainer: it learns, its balance loss and routing
/// metric are logged, a stopped run resumes exactly, and its run folder samples with the KV cache.
@Suite(.serialized) struct MiniMindTrainingTests {
    @Test func miniMindTrainsResumesAndSamples() throws {
        let dir = try temporaryFolder("minimind")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = TrainConfig()
        c.data = try writeCorpus(in: dir)
        for o in ["model=minimind", "dim=16", "n_layers=2", "n_heads=4", "n_kv_heads=2", "vocab_size=0", "max_seq_len=16",
                  "use_moe=true", "hidden_dim=24"] {
            try c.apply(override: o)
        }
        c.batchSize = 4; c.maxIters = 24; c.warmupIters = 2; c.lrDecayIters = 24; c.learningRate = 3e-3
        c.evalInterval = 12; c.evalIters = 2; c.logInterval = 1; c.sampleTokens = 8

        let runs = try trainStraightAndResumed(c, in: dir, stoppingAt: 12)
        let a = runs.straightLines.filter { $0["train_loss"] != nil }
        let b = runs.resumedLines.filter { $0["train_loss"] != nil }
        #expect(a.count == 24 && a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(Swift.abs((x["train_loss"] as! Double) - (y["train_loss"] as! Double)) < 1e-5, "step \(x["step"]!)")
            #expect(Swift.abs((x["moe_aux_loss"] as! Double) - (y["moe_aux_loss"] as! Double)) < 1e-6)
            #expect(x["moe_max_load"] != nil)
        }
        let evals = runs.straightLines.filter { $0["val_loss"] != nil }.map { $0["val_loss"] as! Double }
        #expect(evals.last! < evals.first!, "MiniMind learned something: \(evals)")
        let loaded = try LoadedRun(runDirectory: "\(dir)/straight")
        #expect(loaded.model is MiniMind)
        let prompt = Tensor([1, 2, 3], shape: [1, 3])
        let withCache = loaded.model.generate(prompt, maxNewTokens: 10, topK: 1, useCache: true)
        #expect(withCache.toArray(Int64.self) == loaded.model.generate(prompt, maxNewTokens: 10, topK: 1, useCache: false).toArray(Int64.self))
    }
}
