// MemoryStudyTests.swift — `mnemo study memory` end to end at toy size (every arm trains, is evaluated and reported),
// the synthetic facts' invariants, and the bank rows written into a run (checkpointed, read back by `memory dump`'s
// loader).
import Foundation
import MnemoModels
import MnemoReport
@testable import MnemoStudies
import MnemoTrain
import Testing

@Suite(.serialized) struct MemoryStudyTests {
    static let preset = presetPath("memory-study.toml")

    @Test func theFactsAreWellFormed() {
        let data = MemoryStudy.Dataset()
        #expect(data.text.count == 1000 && data.memoryOnly.count == 1000)
        #expect(Set(data.text).isDisjoint(with: Set(data.memoryOnly)))
        let questions = Set((data.text + data.memoryOnly).map { [$0.s1, $0.s2, $0.relation] })
        #expect(questions.count == 2000, "each (subject, relation) has one answer")
        #expect(Set(data.row.values).count == 2000 && data.row.values.allSatisfy { $0 < 4096 })
        let stream = data.stream(data.text, count: 10, seed: 1)
        #expect(stream.count == 50 && stream.enumerated().allSatisfy { $0.offset % 5 != 4 || $0.element == 1 })
        let rows = data.bankRows(.facts, seed: 3)
        let fact = data.memoryOnly[0]
        #expect(rows[data.row[fact]!] == [fact.s1, fact.s2, fact.relation, fact.object, 0, 0, 0, 0])
        #expect(data.bankRows(.random, seed: 3)[data.row[fact]!] != rows[data.row[fact]!])
    }

    @Test func everyArmRunsAndTheReportIsWritten() throws {
        let dir = try temporaryFolder("memory-study")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var study = MemoryStudy(plan: StudyPlan(preset: Self.preset, output: "\(dir)/study", seeds: [1]))
        study.plan.overrides = ["dim=32", "n_layers=1", "n_heads=2", "n_kv_heads=1", "memory_key_dim=16", "memory_candidates=4",
                           "batch_size=4", "max_iters=4", "lr_decay_iters=4", "warmup_iters=1", "eval_interval=2", "eval_iters=1",
                           "log_interval=1"]
        study.plan.log = { _ in }
        let records = try study.run()
        #expect(records.map(\.arm) == MemoryStudy.arms.map(\.name))
        for r in records {
            #expect((0...1).contains(r.textAccuracy) && (0...1).contains(r.memoryAccuracy))
            #expect(r.parameters > 0 && r.macsPerToken > 0)
        }
        // A's SwiGLU is sized to the memory layer's parameters
        let a = records.first { $0.arm == "A" }!, fix = records.first { $0.arm == "B-fix" }!
        #expect(Double(abs(a.parameters - fix.parameters)) / Double(fix.parameters) < 0.05, "\(a.parameters) vs \(fix.parameters)")
        // the bank went into the run's checkpoint: the loaded model holds the facts
        let loaded = try LoadedRun(runDirectory: fix.runDirectory)
        let model = try #require(loaded.model as? MiniMind)
        let fact = study.dataset.memoryOnly[0]
        let row = model.memoryRows!.narrow(dim: 0, start: study.dataset.row[fact]!, length: 1).toArray(Int32.self).map(Int.init)
        #expect(row == [fact.s1, fact.s2, fact.relation, fact.object, 0, 0, 0, 0])
        let table = try String(contentsOfFile: "\(dir)/study/results.md", encoding: .utf8)
        #expect(table.contains("| B-fix | 1 |") && table.contains("## Verdicts") && table.contains("The claim"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/study/report.html"))
        // the pointer arms ran through the study, and editing is measured wherever the bank holds the facts
        for name in ["B-ptr", "B-ptr-sup", "B-ptr-exact"] {
            let r = try #require(records.first { $0.arm == name })
            #expect(r.editEfficacy.map { (0...1).contains($0) } == true && r.editSpecificity.map { (0...1).contains($0) } == true)
            #expect(r.edits == Swift.min(MemoryStudy.edits, study.dataset.memoryOnly.count))
            let run = try #require(try LoadedRun(runDirectory: r.runDirectory).model as? MiniMind)
            #expect(run.config.memoryReadout == .pointer)
        }
        #expect(records.first { $0.arm == "A" }?.editEfficacy == nil && records.first { $0.arm == "B-rand" }?.editEfficacy == nil)
        #expect(table.contains("edit efficacy") && table.contains("The pointer readout's claim") && table.contains("Knowledge editing"))
        // editing works on the live model after the checkpoint: the checkpoint still holds the facts as written
        #expect(row == [fact.s1, fact.s2, fact.relation, fact.object, 0, 0, 0, 0])
    }

    @Test func anEditedObjectIsAlwaysAnotherObject() {
        let data = MemoryStudy.Dataset()
        for (i, fact) in data.memoryOnly.prefix(300).enumerated() {
            let new = MemoryStudy.editedObject(fact, i)
            #expect(new != fact.object && MemoryStudy.objects.contains(new))
        }
    }

    @Test func verdictsFollowTheNumbers() {
        func record(_ arm: String, text: Double, memory: Double, hitK: Double = 0) -> MemoryArmRecord {
            MemoryArmRecord(arm: arm, summary: arm, seed: 1, runDirectory: "/r", parameters: 1, macsPerToken: 1,
                            textAccuracy: text, memoryAccuracy: memory, textHitK: hitK, memoryHitK: hitK, textHitOne: 0,
                            memoryHitOne: 0, candidates: 8, metrics: MetricsLog(records: []), tokensPerStep: 1)
        }
        let shown = MemoryReport.verdicts([record("B-fix", text: 0.9, memory: 0.3), record("B-rand", text: 0.9, memory: 0.01)])
        #expect(shown.first?.hasSuffix("— shown.") == true, "\(shown)")
        let refuted = MemoryReport.verdicts([record("B-fix", text: 0.9, memory: 0.05), record("B-rand", text: 0.9, memory: 0.01)])
        #expect(refuted.first?.hasSuffix("— refuted.") == true)
        // the chance of a hit is the run's own k of N rows
        var small = record("B-fix", text: 0.9, memory: 0.3, hitK: 0.5)
        (small.candidates, small.bankRows) = (4, 1024)
        let hits = MemoryReport.verdicts([small]).first { $0.hasPrefix("B-fix's fact row") }
        #expect(hits?.contains("among its top-4 rows for 50.0% of text questions (0.4% by chance for 4 of 1,024 rows)") == true, "\(hits ?? "none")")
        // the pointer readout: the best pointer arm against A; when refuted, which part fails
        func claim(_ records: [MemoryArmRecord]) -> String? { MemoryReport.verdicts(records).first { $0.hasPrefix("The pointer readout's claim") } }
        let pointerShown = claim([record("A", text: 0.9, memory: 0.01), record("B-ptr", text: 0.9, memory: 0.05), record("B-ptr-sup", text: 0.9, memory: 0.4)])
        #expect(pointerShown?.contains("best pointer arm B-ptr-sup 40.0% (40.0× chance)") == true && pointerShown?.contains("— shown.") == true, "\(pointerShown ?? "none")")
        let retrievalFails = claim([record("A", text: 0.9, memory: 0.01), record("B-ptr", text: 0.9, memory: 0.02, hitK: 0.1)])
        #expect(retrievalFails?.contains("— refuted. What fails is retrieval") == true, "\(retrievalFails ?? "none")")
        let readoutFails = claim([record("A", text: 0.9, memory: 0.01), record("B-ptr", text: 0.9, memory: 0.02, hitK: 0.9)])
        #expect(readoutFails?.contains("Retrieval is not what fails") == true, "\(readoutFails ?? "none")")
        var edited = record("B-ptr", text: 0.9, memory: 0.5)
        (edited.editEfficacy, edited.editSpecificity, edited.edits) = (0.8, 0.95, 100)
        var fix = record("B-fix", text: 0.9, memory: 0.01)
        (fix.editEfficacy, fix.editSpecificity, fix.edits) = (0.01, 0.99, 100)
        let editing = MemoryReport.verdicts([edited, fix]).first { $0.hasPrefix("Knowledge editing") }
        #expect(editing == "Knowledge editing (100 bank-only rows rewritten with another object): best efficacy 80.0% with 95.0% specificity (B-ptr) — the answers follow the edited rows and the other facts stay. Others (efficacy / specificity): B-fix 1.0% / 99.0%.", "\(editing ?? "none")")
    }
}
