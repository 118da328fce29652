// CortexTrainingTests.swift — CortexGPT's toolkit through the trainer: a memory run with label smoothing, parameter
// groups with their own clipping, parameter EMA and a growing LTM resumes exactly (LTM, EMA and stability history in
// the checkpoint); stability metrics appear in every run; parameter-group rules parse, split and refuse bad input;
// the EMA follows torch_ema's update.
import Foundation
import MnemoModels
import MnemoReport
import Testing
@testable import MnemoTrain
@testable import Torch
import TorchNN

@Suite(.serialized) struct CortexTrainingTests {
    static func cortexConfig(data: String) -> TrainConfig {
        var config = tinyConfig(data: data)
        var gpt = config.gpt
        gpt.nLayer = 2
        gpt.cortex.layers = [0]
        gpt.cortex.stmSlots = 4
        gpt.cortex.ltmSlots = 8
        gpt.cortex.ltmDim = 4
        gpt.cortex.ltmBounded = false
        gpt.cortex.consolidateEvery = 3
        gpt.cortex.consolidateThreshold = 1
        gpt.cortex.consolidateMax = 6
        config.gpt = gpt
        config.maxIters = 24
        config.lrDecayIters = 24
        config.labelSmoothing = 0.1
        config.paramGroups = "cortex:lr=0.1,wd=0.001,clip=0.5"
        config.emaDecay = 0.99
        config.stabilityInterval = 2
        config.stabilityWindow = 4
        return config
    }

    @Test func memoryRunWithTheToolkitResumesExactly() throws {
        let dir = try temporaryFolder("cortex-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = Self.cortexConfig(data: try writeCorpus(in: dir))
        let runs = try trainStraightAndResumed(config, in: dir, stoppingAt: 10)
        let a = runs.straightLines.filter { $0["train_loss"] != nil }
        let b = runs.resumedLines.filter { $0["train_loss"] != nil }
        #expect(a.count == 24 && a.count == b.count)
        for (x, y) in zip(a, b) {
            for key in ["train_loss", "gate_mass/stm", "ltm_fill", "gate_smoothness"] {
                let dx = try #require(x[key] as? Double, "\(key)"), dy = try #require(y[key] as? Double)
                #expect(Swift.abs(dx - dy) < 1e-5, "step \(x["step"]!) \(key): \(dx) vs \(dy)")
            }
        }
        let ea = runs.straightLines.filter { $0["val_loss"] != nil }, eb = runs.resumedLines.filter { $0["val_loss"] != nil }
        #expect(ea.count == eb.count)
        for (x, y) in zip(ea, eb) {
            for key in ["val_loss", "osc_fixed_p95", "osc_raw_p95", "rebound_fixed", "spikes", "grad_norm_p90/cortex", "grad_norm_p90/main"]
                where x["step"] as! Int > 0 {
                let dx = try #require(x[key] as? Double, "\(key) at \(x["step"]!)"), dy = try #require(y[key] as? Double)
                #expect(Swift.abs(dx - dy) < 1e-5, "step \(x["step"]!) \(key): \(dx) vs \(dy)")
            }
        }
        let held = { (lines: [[String: Any]]) in lines.compactMap { $0["stability_loss"] as? Double } }
        #expect(held(runs.straightLines).count == 12 && held(runs.straightLines) == held(runs.resumedLines))
        // the groups: cortex parameters at a tenth of the learning rate, clipped on their own
        let trainer = runs.straight
        let labels = trainer.optimizer.groups.map(\.label)
        #expect(labels.contains("cortex/decay") && labels.contains("cortex/no_decay") && labels.contains("decay"))
        let cortexGroup = try #require(trainer.optimizer.groups.first { $0.label == "cortex/decay" })
        #expect(cortexGroup.weightDecay == 0.001)
        #expect(trainer.clipGroups.map(\.name) == ["cortex", "main"])
        // the LTM grew past its 8 slots and the checkpoint holds it; the EMA was saved and is what a loaded run samples
        let gpt = try #require(trainer.model as? GPT)
        #expect(gpt.longTermMemoryRows[0] > 8)
        let folder = try #require(Checkpoint.latest(root: "\(dir)/straight/checkpoints"))
        #expect(FileManager.default.fileExists(atPath: "\(folder)/ema.safetensors"))
        let loaded = try LoadedRun(runDirectory: "\(dir)/straight")
        #expect(loaded.usesAveragedWeights)
        let ema = try SafeTensorsIO.load("\(folder)/ema.safetensors")
        let head = try #require(loaded.model.namedParameters().first { $0.name == "transformer.wte.weight" }?.tensor)
        #expect(head.equal(try #require(ema["transformer.wte.weight"])))
        #expect(try #require(loaded.model as? GPT).longTermMemoryRows == gpt.longTermMemoryRows)
    }

    @Test func everyRunLogsStabilityMetrics() throws {
        let dir = try temporaryFolder("stability")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        config.stabilityInterval = 2
        config.stabilityWindow = 4
        let run = "\(dir)/run"
        let trainer = try Trainer(config: config, runDirectory: run)
        trainer.progress = false
        try trainer.run()
        let last = try #require(try metricLines(run).last { $0["val_loss"] != nil })
        for key in ["osc_raw_p50", "osc_raw_p95", "osc_raw_max", "osc_fixed_p50", "osc_fixed_p95", "osc_fixed_max",
                    "rebound_raw", "rebound_fixed", "spikes", "grad_norm_p90/all"] {
            let value = try #require(last[key] as? Double, "\(key)")
            #expect(value.isFinite && value >= 0)
        }
        #expect((last["osc_fixed_p50"] as! Double) >= 1)
        let html = Report.html(runs: [try RunRecord(directory: run)])
        #expect(html.contains("Stability"))
    }

    @Test func parameterGroupRulesParseSplitAndRefuse() throws {
        let rules = try ParameterGroupRule.parse("cortex:lr=0.1,wd=0.001,clip=0.5; lm_head:lr=2")
        #expect(rules == [ParameterGroupRule(match: "cortex", lrScale: 0.1, weightDecay: 0.001, clip: 0.5),
                          ParameterGroupRule(match: "lm_head", lrScale: 2)])
        for bad in ["cortex", "cortex:lr", "cortex:speed=2", "cortex:lr=-1", "a:lr=1;a:lr=2"] {
            #expect(throws: ConfigError.self, "\(bad)") { try ParameterGroupRule.parse(bad) }
        }
        var gpt = GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 1, nEmbd: 8)
        gpt.cortex.layers = [0]
        let model = GPT(gpt)
        let groups = ParameterGroupRule.apply(rules, to: model.parameterGroups())
        let cortex = groups.filter { $0.name.hasPrefix("cortex/") }
        #expect(cortex.count == 2 && cortex.allSatisfy { $0.lrScale == 0.1 })
        #expect(cortex.first { $0.name == "cortex/no_decay" }?.weightDecay == 0, "no-decay parameters keep no decay")
        #expect(groups.flatMap(\.parameters).count == model.parameterGroups().flatMap(\.parameters).count)
        #expect(groups.filter { $0.name.hasPrefix("cortex/") }.flatMap(\.parameters).allSatisfy { $0.name.contains("cortex") })
        // a rule that matches nothing is a mistake the trainer names
        let dir = try temporaryFolder("groups")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        config.paramGroups = "memory_bank:lr=0.1"
        #expect(throws: ConfigError.self) { try Trainer(config: config, runDirectory: "\(dir)/run") }
    }

    @Test func emaFollowsTorchEMAsWarmedUpDecay() throws {
        let layer = Linear(2, 1, bias: false)
        withNoGrad { layer.weight.copy_(Tensor([1, 2] as [Float], shape: [1, 2])) }
        let ema = ParameterEMA(model: layer, decay: 0.999)
        withNoGrad { layer.weight.copy_(Tensor([3, 4] as [Float], shape: [1, 2])) }
        ema.update()   // d = min(0.999, 1/10) = 0.1 → 0.1·[1, 2] + 0.9·[3, 4]
        ema.withEvaluationWeights {
            #expect(layer.weight.allClose(Tensor([2.8, 3.8] as [Float], shape: [1, 2]), atol: 1e-6))
        }
        #expect(layer.weight.allClose(Tensor([3, 4] as [Float], shape: [1, 2])), "the trained weights come back")
        ema.update()   // d = 2/11
        let d = 2.0 / 11.0
        ema.withEvaluationWeights {
            let want = [Float(d * 2.8 + (1 - d) * 3), Float(d * 3.8 + (1 - d) * 4)]
            #expect(layer.weight.allClose(Tensor(want, shape: [1, 2]), atol: 1e-6))
        }
    }
}
