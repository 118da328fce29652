// LoopedTrainingTests.swift — the looped-GPT options through the trainer: the all-layer loss's per-layer curves and
// the residual diagnostics land in metrics.jsonl and the report; an early-exit run (its draws come from the global
// generator) resumes exactly.
import Foundation
import MnemoReport
import Testing
@testable import MnemoTrain

@Suite(.serialized) struct LoopedTrainingTests {
    @Test func allLayerLossAndResidualDiagnosticsAreLoggedAndDrawn() throws {
        let dir = try temporaryFolder("looped")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        var gpt = config.gpt
        gpt.nLayer = 3
        gpt.shareBlock = true
        gpt.shareFinalNorm = true
        gpt.layerLoss = .all
        config.gpt = gpt
        let run = "\(dir)/run"
        let trainer = try Trainer(config: config, runDirectory: run)
        trainer.progress = false
        try trainer.run()
        let lines = try metricLines(run)
        let train = lines.filter { $0["train_loss"] != nil }
        #expect(train.count == 20)
        for line in train {
            // the logged training loss is the last layer's; the objective adds the two earlier layers
            let last = try #require(line["loss_layer/2"] as? Double)
            #expect(Swift.abs((line["train_loss"] as! Double) - last) < 1e-5)
            let earlier = (line["loss_layer/0"] as! Double) + (line["loss_layer/1"] as! Double)
            #expect(Swift.abs((line["loss_earlier_layers"] as! Double) - earlier) < 1e-4)
        }
        let evals = lines.filter { $0["val_loss"] != nil }
        #expect(evals.count == 3)
        for line in evals {
            for key in ["resid_in/0", "resid_in/2", "resid_mid/1", "resid_norm/2", "resid_out"] {
                #expect((line[key] as? Double).map { $0 > 0 && $0.isFinite } == true, "\(key) at step \(line["step"]!)")
            }
        }
        let html = Report.html(runs: [try RunRecord(directory: run)])
        #expect(html.contains("Loss at each layer") && html.contains("Residual stream entering each layer"))
        #expect(!html.contains(">resid_in/0<"), "per-layer keys are drawn per layer, not one chart each")
    }

    @Test func earlyExitRunResumesExactly() throws {
        let dir = try temporaryFolder("exit-resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        var gpt = config.gpt
        gpt.nLayer = 3
        gpt.shareBlock = true
        gpt.earlyExit = .confidence
        gpt.exitConfidenceWeight = 0.1
        config.gpt = gpt
        config.maxIters = 24
        config.lrDecayIters = 24
        let runs = try trainStraightAndResumed(config, in: dir, stoppingAt: 10)
        let a = runs.straightLines.filter { $0["train_loss"] != nil }
        let b = runs.resumedLines.filter { $0["train_loss"] != nil }
        #expect(a.count == b.count && a.count == 24)
        for (x, y) in zip(a, b) {
            for key in ["train_loss", "exit_confidence", "exit_mean_depth"] {
                let dx = try #require(x[key] as? Double), dy = try #require(y[key] as? Double)
                #expect(Swift.abs(dx - dy) < 1e-5, "\(key) at step \(x["step"]!): \(dx) vs \(dy)")
            }
        }
    }
}
