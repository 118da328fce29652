// CortexStudyTests.swift — `mnemo study cortex` end to end at toy size: every arm and seed is a run folder, the
// learning-rate sweep runs, the tables have a row each, the verdicts and the report are written.
import Foundation
import MnemoReport
@testable import MnemoStudies
import MnemoTrain
import Testing

@Suite(.serialized) struct CortexStudyTests {
    static let preset = presetPath("cortex-cpu.toml")

    @Test func everyArmRunsAndTheReportIsWritten() throws {
        let dir = try temporaryFolder("cortex-study")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var study = CortexStudy(plan: StudyPlan(preset: Self.preset, output: "\(dir)/study", seeds: [1, 2]), data: try writeCorpus(in: dir))
        study.plan.overrides = ["n_layer=2", "n_head=2", "block_size=16", "batch_size=4", "max_iters=12", "lr_decay_iters=12",
                           "warmup_iters=2", "eval_interval=6", "eval_iters=1", "log_interval=1", "stability_interval=2",
                           "stability_window=4", "checkpoint_interval=6", "cortex_stm_slots=4", "cortex_consolidate_every=3",
                           "cortex_consolidate_threshold=1"]
        study.plan.armNames = ["A", "B", "C", "D", "C-ema"]
        var lines: [String] = []
        study.plan.log = { lines.append($0) }
        let records = try study.run()
        #expect(records.count == 5 * 2 + CortexStudy.sweepArms.count * CortexStudy.sweepFactors.count)
        for record in records {
            #expect(FileManager.default.fileExists(atPath: record.runDirectory + "/metrics.jsonl"))
            #expect(record.stability("osc_fixed_p95") != nil && record.stability("spikes") != nil, "\(record.arm)")
        }
        let d = try #require(records.first { $0.arm == "D" }), c = try #require(records.first { $0.arm == "C" })
        #expect(d.recent("gate_mass/stm") == nil && c.recent("gate_mass/stm") != nil, "D has no memory")
        let table = try String(contentsOfFile: "\(dir)/study/results.md", encoding: .utf8)
        #expect(table.components(separatedBy: "\n").filter { $0.hasPrefix("| C | ") }.count == 1 + 2 + CortexStudy.sweepFactors.count)
        #expect(table.contains("## Verdicts") && table.contains("Memories used by C") && table.contains("plain transformer D")
                && table.contains("A at higher learning rates"))
        let html = try String(contentsOfFile: "\(dir)/study/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Fixed held-out batch loss"))
        #expect(throws: (any Error).self) {
            var bad = study
            bad.plan.armNames = ["E"]
            try bad.run()
        }
    }
}
