// HookRegistryTests.swift — hooks enabled from a config: their metrics on the training lines, and every wrong entry
// refused before training starts.
import Foundation
import Testing
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch

@Suite(.serialized) struct HookRegistryTests {
    @Test func aConfigEnablesHooksThatLogOnTheTrainingLines() throws {
        let dir = try temporaryFolder("hook-registry")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.maxIters = 4; c.logInterval = 2; c.evalInterval = 4; c.sampleTokens = 0
        try c.apply(override: "hooks=grad_norm:wte,weight_norm:ln_f,update_cos:h.0.")
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        let training = try metricLines("\(dir)/run").filter { $0["train_loss"] != nil }
        #expect(training.map { $0["step"] as? Int } == [0, 2])
        for line in training {
            let g = try #require(line["grad_norm/wte"] as? Double), w = try #require(line["weight_norm/ln_f"] as? Double)
            let cosine = try #require(line["update_cos/h.0."] as? Double)
            #expect(g > 0 && g.isFinite && w > 0 && Swift.abs(cosine) <= 1)
        }
        // the last weight norm is that of the final weights
        let lnF = trainer.model.namedParameters().filter { $0.name.contains("ln_f") }.map(\.tensor)
        let norm = lnF.map { $0.detached().double().square().sum().item() }.reduce(0, +).squareRoot()
        #expect(norm > 0)
    }

    @Test func wrongHookEntriesAreRefusedBeforeTraining() throws {
        let dir = try temporaryFolder("hook-registry-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try writeCorpus(in: dir)
        for (entry, message) in [("gradnorm:wte", "unknown hook 'gradnorm'"), ("grad_norm", "needs an argument"),
                                 ("grad_norm:no_such_parameter", "selects no parameter")] {
            var c = tinyConfig(data: data)
            c.hooks = [entry]
            #expect { _ = try Trainer(config: c, runDirectory: "\(dir)/\(entry)") } throws: { "\($0)".contains(message) }
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/\(entry)/metrics.jsonl"), "nothing trained")
        }
    }
}
