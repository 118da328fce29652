// DPOTests.swift — DPO against a restatement of trl's sigmoid loss (scripts/make_dpo_fixtures.py): loss, rewards,
// accuracy, margin and the gradient on the policy's logits; and a DPO stage through the trainer on preference pairs
// whose chosen answer it learns to prefer, resumed exactly.
import Foundation
import Testing
@testable import MnemoData
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch
@testable import TorchNN

/// A "model" whose logits are a parameter (policy) or a constant (reference).
final class FixedLogits: Module, LanguageModel {
    let logits: Tensor
    init(_ logits: Tensor) { self.logits = logits; super.init() }
    func forward(_ idx: Tensor, targets: Tensor?) -> ModelOutput { ModelOutput(logits: logits) }
    var contextLength: Int { logits.size(1) }
}

@Suite(.serialized) struct DPOTests {
    @Test func messagesPairsAreRenderedByTheChatFormat() throws {
        let dir = try temporaryFolder("dpo-messages")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tokenizer = try TokenData.tokenizer(spec: "hf:\(sharedDataPath("minimind/tokenizer.json"))")
        try """
            {"chosen": [{"role": "user", "content": "1+1="}, {"role": "assistant", "content": "2"}], "rejected": [{"role": "user", "content": "1+1="}, {"role": "assistant", "content": "3"}]}
            {"prompt": [{"role": "user", "content": "2+2="}], "chosen": [{"role": "assistant", "content": "4"}], "rejected": [{"role": "assistant", "content": "5"}]}
            """.write(toFile: "\(dir)/pairs.jsonl", atomically: true, encoding: .utf8)
        let pairs = try PreferencePairs.read("\(dir)/pairs.jsonl", format: .chatML, endOfText: nil, encode: { tokenizer.encode($0) },
                                             encodeRendered: { tokenizer.encode($0, allowedSpecial: .all) })
        #expect(pairs.count == 2)
        #expect(tokenizer.decode(pairs[0].prompt) == "<|im_start|>user\n1+1=<|im_end|>\n<|im_start|>assistant\n")
        #expect(tokenizer.decode(pairs[0].chosen) == "2<|im_end|>\n" && tokenizer.decode(pairs[1].rejected) == "5<|im_end|>\n")
        try "{\"chosen\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"other\"}, {\"role\": \"assistant\", \"content\": \"c\"}]}"
            .write(toFile: "\(dir)/bad.jsonl", atomically: true, encoding: .utf8)
        #expect { _ = try PreferencePairs.read("\(dir)/bad.jsonl", format: .chatML, endOfText: nil, encode: { tokenizer.encode($0) },
                                               encodeRendered: { tokenizer.encode($0) }) } throws: { "\($0)".contains("line 1: chosen and rejected must be the same conversation") }
    }

    @Test func theLossRewardsAndGradientsEqualTrls() throws {
        let url = try #require(Bundle.module.url(forResource: "dpo", withExtension: "safetensors", subdirectory: "Fixtures"))
        let f = try SafeTensorsIO.load(url.path)
        let policyLogits = f["policy_logits"]!.clone().requiringGrad()
        let objective = DPOObjective(reference: FixedLogits(f["reference_logits"]!), beta: f["beta"]!.item())
        let targets = f["targets"]!
        let batch = Batch(inputs: Tensor.zeros(targets.shape, dtype: .int64), targets: targets)
        let result = objective.loss(FixedLogits(policyLogits), on: batch, training: true)
        #expect(Swift.abs(result.task.item() - f["loss"]!.item()) < 1e-6)
        #expect(Swift.abs(result.metrics["rewards/chosen"]!.item() - f["rewards_chosen"]!.mean().item()) < 1e-6)
        #expect(Swift.abs(result.metrics["rewards/rejected"]!.item() - f["rewards_rejected"]!.mean().item()) < 1e-6)
        #expect(result.metrics["rewards/accuracies"]!.item() == f["accuracy"]!.item())
        #expect(Swift.abs(result.metrics["rewards/margins"]!.item() - f["margin"]!.item()) < 1e-6)
        result.total.backward()
        let grad = try #require(policyLogits.grad)
        #expect((grad - f["grad_policy_logits"]!).abs().max().item() < 1e-7)
    }

    @Test func aDPOStagePrefersTheChosenAnswersAndResumesExactly() throws {
        let dir = try temporaryFolder("dpo-train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // the chosen answer is the sum's last digit, the rejected one a wrong digit
        var lines: [String] = []
        for i in 0..<60 {
            let a = i % 10, b = (i * 7) % 10
            lines.append("{\"prompt\": \"\(a)+\(b)=\", \"chosen\": \"\((a + b) % 10)\", \"rejected\": \"\((a + b + 3) % 10)\"}")
        }
        try lines.joined(separator: "\n").write(toFile: "\(dir)/pairs.jsonl", atomically: true, encoding: .utf8)
        var c = tinyConfig(data: "\(dir)/pairs.jsonl")
        try c.apply(override: "objective=dpo")
        try c.apply(override: "data_layout=preference")
        try c.apply(override: "dpo_beta=0.5")
        c.maxIters = 30; c.evalInterval = 15; c.checkpointInterval = 15; c.sampleTokens = 0; c.learningRate = 3e-3
        c.evalFull = false
        let runs = try trainStraightAndResumed(c, in: dir, stoppingAt: 15)
        let a = runs.straightLines.compactMap { $0["train_loss"] as? Double }, b = runs.resumedLines.compactMap { $0["train_loss"] as? Double }
        #expect(a.count == 30 && a == b, "the resumed run's losses equal the uninterrupted run's")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/straight/reference.safetensors"))
        let training = runs.straightLines.filter { $0["train_loss"] != nil }
        #expect(Swift.abs((training.first!["train_loss"] as! Double) - log(2.0)) < 1e-4, "policy = reference at the start: −log σ(0)")
        let late = training.suffix(10).compactMap { $0["rewards/accuracies"] as? Double }
        #expect(late.reduce(0, +) / Double(late.count) > 0.8, "the chosen answers are preferred: \(late)")
        #expect(runs.val! < log(2.0), "the val pairs too")
        // a messages pair needs a chat format this character tokenizer cannot give: refused with its line, before training
        try "{\"chosen\": [{\"role\": \"user\", \"content\": \"1+1=\"}, {\"role\": \"assistant\", \"content\": \"2\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"1+1=\"}, {\"role\": \"assistant\", \"content\": \"3\"}]}"
            .write(toFile: "\(dir)/bad.jsonl", atomically: true, encoding: .utf8)
        var bad = c
        bad.data = "\(dir)/bad.jsonl"
        #expect { _ = try Trainer(config: bad, runDirectory: "\(dir)/bad") } throws: { "\($0)".contains("line 1") && "\($0)".contains("chat format") }
        var mismatched = tinyConfig(data: "\(dir)/pairs.jsonl")
        try mismatched.apply(override: "objective=dpo")
        #expect(mismatched.problems().contains { $0.contains("go together") })
    }
}
