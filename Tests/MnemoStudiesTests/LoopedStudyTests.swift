// LoopedStudyTests.swift — `mnemo study looped` end to end at toy size: every arm and seed is a run folder, the
// table has a row each, the verdicts and the report are written, and a second call continues finished runs.
import Foundation
import MnemoReport
@testable import MnemoStudies
import MnemoTrain
import Testing

@Suite(.serialized) struct LoopedStudyTests {
    static let preset = presetPath("looped-cpu.toml")

    @Test func everyArmRunsAndTheReportIsWritten() throws {
        let dir = try temporaryFolder("looped-study")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var study = LoopedStudy(plan: StudyPlan(preset: Self.preset, output: "\(dir)/study", seeds: [1, 2]), data: try writeCorpus(in: dir))
        study.plan.overrides = ["n_layer=3", "n_head=2", "n_embd=16", "block_size=16", "batch_size=4", "max_iters=6",
                           "lr_decay_iters=6", "warmup_iters=1", "eval_interval=3", "eval_iters=1", "log_interval=1"]
        study.measureAllLayerCost = false
        var lines: [String] = []
        study.plan.log = { lines.append($0) }
        let results = try study.run()
        #expect(results.count == 10)
        #expect(Set(results.map(\.arm)) == Set(LoopedStudy.arms.map(\.name)))
        for result in results {
            #expect(result.valLossFull.isFinite)
            #expect(FileManager.default.fileExists(atPath: result.runDirectory + "/metrics.jsonl"))
            #expect(result.lastProfile("resid_in").count == 3, "\(result.arm)")
        }
        let exit = try #require(results.first { $0.arm == "shared_exit" })
        #expect(exit.exitRows.map(\.rule) == ["last layer", "confidence", "threshold 0.9", "threshold 0.5"])
        #expect(exit.exitRows[0].meanDepth == 3)
        let table = try String(contentsOfFile: "\(dir)/study/results.md", encoding: .utf8)
        #expect(table.components(separatedBy: "\n").filter { $0.hasPrefix("| shared_exit | ") }.count == 3)   // 2 seeds + mean
        #expect(table.contains("## Verdicts") && table.contains("Residual std growth") && table.contains("Early exit"))
        let html = try String(contentsOfFile: "\(dir)/study/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Residual stream entering each layer"))
        // a second call finds every run finished and only re-evaluates
        lines.removeAll()
        let again = try study.run()
        #expect(again.map(\.valLossFull).count == 10)
    }
}
