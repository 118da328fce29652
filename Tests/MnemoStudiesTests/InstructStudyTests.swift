// InstructStudyTests.swift — `mnemo study instruct` at toy size: the task's files (pretraining text, SFT conversations,
// preference pairs, a tokenizer with ChatML's tokens) are well formed and split people as stated, replies are scored as
// stated, and every arm runs from the run it starts from — base, SFT, LoRA, StableMax, DPO — into one report.
import Foundation
import MnemoData
import MnemoReport
@testable import MnemoStudies
import MnemoTrain
import Testing

@Suite(.serialized) struct InstructStudyTests {
    static let preset = presetPath("instruct-cpu.toml")

    @Test func theTaskSplitsPeopleAndScoresRepliesAsStated() throws {
        let task = InstructTask(people: 50, seed: 7)
        #expect(Set(task.people.map(\.name)).count == 50 && task.tuned.count == 30 && task.heldOut.count == 20)
        #expect(InstructTask(people: 50, seed: 7).people.map(\.name) == task.people.map(\.name), "the same seed, the same people")
        let tunedNames = Set(task.tuned.map(\.name))
        let asked = task.conversations().flatMap { $0 }.filter { $0.role == "user" }.map(\.content)
        #expect(asked.allSatisfy { q in tunedNames.contains { q.contains(" \($0) ") || q.contains(" \($0)'") } }, "SFT asks about tuned people only")
        #expect(task.questions(heldOut: true).count == 60 && task.questions(heldOut: true).allSatisfy { !tunedNames.contains($0.person.name) })
        let person = task.heldOut.first!
        let q = InstructTask.Question(person: person, fact: .pet)
        let pet = person.value(.pet), other = InstructTask.Fact.pet.values.first { $0 != pet }!
        #expect(InstructTask.score(InstructTask.Fact.pet.sentence(person.name, pet), for: q) == (true, true))
        #expect(InstructTask.score(InstructTask.Fact.pet.short(pet), for: q) == (true, false))
        #expect(InstructTask.score("\(pet) or \(other)", for: q).correct == false, "naming two values is not an answer")
        #expect(InstructTask.score(other.capitalized + ".", for: q).correct == false)
        // every biography states every fact of its person
        let bios = task.biographies(copies: 1)
        #expect(bios.count == 50 && bios.allSatisfy { bio in
            let p = task.people.first { bio.hasPrefix($0.name + " ") || bio.hasPrefix($0.name + "'") }!
            return InstructTask.Fact.allCases.allSatisfy { bio.contains(p.value($0)) }
        })
    }

    @Test func everyArmRunsFromItsStartAndTheReportIsWritten() throws {
        let dir = try temporaryFolder("instruct-study")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var study = InstructStudy(plan: StudyPlan(preset: Self.preset, output: "\(dir)/study", seeds: [1]))
        study.task = InstructTask(people: 30, seed: 3)
        study.plan.overrides = ["n_layer=1", "n_head=2", "n_embd=16", "batch_size=4", "eval_iters=1", "log_interval=1"]
        study.pretrainSteps = 6; study.sftSteps = 4; study.dpoSteps = 2
        study.plan.armNames = ["base", "sft", "lora-stablemax", "dpo"]     // every stage and both halves of the chain
        var lines: [String] = []
        study.plan.log = { lines.append($0) }
        let records = try study.run()
        #expect(records.map(\.arm) == ["base", "sft", "lora-stablemax", "dpo"])
        let config = { (arm: String) in try TrainConfig.load("\(dir)/study/\(arm)-seed1/config.json") }
        #expect(try config("sft").initFrom == "\(dir)/study/base-seed1" && config("dpo").initFrom == "\(dir)/study/sft-seed1")
        #expect(try config("lora-stablemax").loraRank == 8 && config("lora-stablemax").orthogonal && config("dpo").objective == .dpo)
        let lora = try #require(records.first { $0.arm == "lora-stablemax" }), sft = try #require(records.first { $0.arm == "sft" })
        #expect(lora.trainableParameters < sft.trainableParameters / 4)
        #expect(records.allSatisfy { $0.heldOutQuestions == 12 * 3 && $0.valLoss.isFinite })
        let dpo = try #require(records.first { $0.arm == "dpo" })
        #expect(dpo.metrics.last("rewards/accuracies") != nil)
        let table = try String(contentsOfFile: "\(dir)/study/results.md", encoding: .utf8)
        #expect(table.contains("## Verdicts") && table.contains("Before tuning, the base model") && table.contains("DPO moves sentence answers"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/study/report.html"))
        // an arm without the run it starts from is refused before anything trains
        var alone = InstructStudy(plan: StudyPlan(preset: Self.preset, output: "\(dir)/other", seeds: [1], armNames: ["dpo"]))
        alone.plan.log = { _ in }
        #expect { try alone.run() } throws: { "\($0)".contains("add sft to --arms") }
    }
}
