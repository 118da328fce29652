// CortexRecallStudyTests.swift — `mnemo study cortex-recall` end to end at toy size: A, C and D train on the recall
// stream, A and C are scored with each knock-out, D without; the tables, verdicts and page are written.
import Foundation
import MnemoReport
@testable import MnemoStudies
import MnemoTrain
import Testing

@Suite(.serialized) struct CortexRecallStudyTests {
    static let preset = presetPath("cortex-recall-cpu.toml")

    @Test func theArmsRunAndAreScoredWithEachKnockOut() throws {
        let dir = try temporaryFolder("cortex-recall")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var study = CortexRecallStudy(plan: StudyPlan(preset: Self.preset, output: "\(dir)/study", seeds: [1]))
        study.plan.overrides = ["n_layer=2", "n_head=2", "block_size=16", "batch_size=4", "max_iters=6", "lr_decay_iters=6",
                                "warmup_iters=2", "eval_interval=6", "eval_iters=1", "log_interval=1", "checkpoint_interval=6",
                                "cortex_stm_slots=8"]
        var lines: [String] = []
        study.plan.log = { lines.append($0) }
        let records = try study.run()
        #expect(records.map(\.arm) == ["A", "C", "D"])
        for record in records {
            #expect(FileManager.default.fileExists(atPath: record.runDirectory + "/metrics.jsonl"))
            #expect(record.window == 8 && record.chance == 1.0 / 16)
            let full = try #require(record.scores[.none])
            // 32 val chunks × 4 streams of 16 tokens; 1 near query per chunk from chunk 1, 1 far from chunk 2
            #expect(full.targetCount == 32 * 4 * 16 && full.queries == 4 * (31 + 30))
            #expect(full.loss.isFinite && record.tokensPerSecond != nil)
        }
        #expect(records[0].scores.count == 4 && records[1].scores.count == 4 && records[2].scores.count == 1, "D has no memory to knock out")
        #expect(records[2].parameters > records[1].parameters / 2)
        let table = try String(contentsOfFile: "\(dir)/study/results.md", encoding: .utf8)
        #expect(table.components(separatedBy: "\n").filter { $0.hasPrefix("| C | ") }.count == 2)
        for phrase in ["## Verdicts", "The task needs memory", "STM of C", "LTM of A", "Cost of C's memory layer", "Near-query accuracy, C"] {
            #expect(table.contains(phrase), "\(phrase)")
        }
        let html = try String(contentsOfFile: "\(dir)/study/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("CortexGPT on associative recall"))
    }
}
