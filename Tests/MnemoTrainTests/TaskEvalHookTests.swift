// TaskEvalHookTests.swift — `hooks = ["task_eval:FILE"]`: a task's acc and acc_norm logged at every evaluation, the last
// equal to scoring the finished run's checkpoint; a task file that does not read stops the run before it trains.
import Foundation
import Testing
import MnemoData
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch

@Suite(.serialized) struct TaskEvalHookTests {
    @Test func aTaskIsScoredAtEveryEvaluationAndLogged() throws {
        let dir = try temporaryFolder("task-eval")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let task = "\(dir)/letters.jsonl"
        try """
        {"query": "line 3: the quick", "choices": ["brown", "lazy", "dog"], "gold": 0}
        {"query": "jumps over the ", "choices": ["lazy dog.", "quick fox"], "gold": 0}
        {"query": "line 1", "choices": ["9: fox", "2: the"], "gold": 1}
        """.write(toFile: task, atomically: true, encoding: .utf8)
        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.maxIters = 10; c.evalInterval = 5; c.sampleTokens = 0; c.evalFull = false
        c.hooks = ["task_eval:\(task)"]
        let trainer = try Trainer(config: c, runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        let evaluations = try metricLines("\(dir)/run").filter { $0["val_loss"] != nil }
        #expect(evaluations.map { $0["step"] as? Int } == [0, 5, 10])
        for line in evaluations {
            let acc = try #require(line["task/letters/acc"] as? Double), norm = try #require(line["task/letters/acc_norm"] as? Double)
            #expect([0, 1.0 / 3, 2.0 / 3, 1].contains { Swift.abs($0 - acc) < 1e-12 } && (0...1).contains(norm))
        }
        // the last evaluation's numbers are `mnemo eval RUN --task FILE`'s on the final checkpoint
        let loaded = try LoadedRun(runDirectory: "\(dir)/run", device: .cpu)
        let prepared = try MultipleChoiceEval.prepare(file: task, model: loaded.model, tokenizer: loaded.tokenizer,
                                                      vocabularySize: loaded.tokenizer.vocabularySize)
        let scores = try MultipleChoiceEval.evaluate(prepared, scorer: LogLikelihoodScorer(model: loaded.model, device: .cpu))
        #expect(evaluations.last?["task/letters/acc"] as? Double == scores.acc.mean)
        #expect(evaluations.last?["task/letters/acc_norm"] as? Double == scores.accNorm.mean)
    }

    @Test func aTaskFileThatDoesNotReadStopsTheRunBeforeItTrains() throws {
        let dir = try temporaryFolder("task-eval-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"query\": \"x\", \"choices\": [\"a\"], \"gold\": 0}\n".write(toFile: "\(dir)/bad.jsonl", atomically: true, encoding: .utf8)
        for (entry, message) in [("task_eval", "needs an argument"), ("task_eval:\(dir)/none.jsonl", "no such task file"),
                                 ("task_eval:\(dir)/bad.jsonl", "bad.jsonl:1: 1 choice; an item needs at least two")] {
            var c = tinyConfig(data: try writeCorpus(in: dir))
            c.hooks = [entry]
            #expect { _ = try Trainer(config: c, runDirectory: "\(dir)/run") } throws: { "\($0)".contains(message) }
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/run/metrics.jsonl"), "nothing trained")
        }
    }
}
