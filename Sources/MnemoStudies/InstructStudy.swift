// InstructStudy.swift — `mnemo study instruct`: the StableMax / ⊥Grad repository's own example (an instruction fine-tune
// of a pretrained Llama with StableMax and ⊥AdamW) at CPU scale, and the stages around it, on a task with exact answers
// (InstructTask: people's facts, asked about people the fine-tune never saw).
//
// Per seed, every arm an ordinary run of the trainer from configs/instruct-cpu.toml:
//   base            pretraining on the biographies (next-token loss, softmax, AdamW)
//   sft             full SFT from base on the conversations (ChatML, loss on the assistant turns): softmax + AdamW
//   sft-stablemax   the same with StableMax cross-entropy and ⊥AdamW (orthogonal = true), as the repository's example
//   sft-stablemax-adamw, sft-orth   each half of that pair alone (StableMax with AdamW; softmax with ⊥AdamW)
//   lora            LoRA (rank 8, α 16, on the fused qkv and the MLP's input) from base: softmax + AdamW
//   lora-stablemax  LoRA with StableMax and ⊥AdamW
//   dpo             DPO (β 0.1) from sft on the preference "answer in a sentence" (the reference: sft's weights)
// After each run: greedy chat replies (ChatSession, stopping at <|im_end|>) to every question about the held-out people
// and about a sample of the tuned people; accuracy, the share of sentence answers, the full-pass val loss under the
// arm's own objective, the trainable parameters, the wall time. Results in results.md and report.html (InstructReport).
import Foundation
import MnemoData
import MnemoModels
import MnemoReport
import MnemoSupport
import MnemoTrain
import Torch

public struct InstructStudy: Study {
    public enum Stage: String, Sendable { case pretrain, sft, dpo }

    public struct Arm: StudyArm {
        public var name: String
        public var summary: String
        public var stage: Stage
        /// The arm whose run (same seed) this one starts from; nil: from scratch.
        public var startsFrom: String?
        public var settings: [String]
    }

    static let stableMax = ["loss=stablemax", "orthogonal=true"]
    static let lora = ["lora_rank=8", "lora_alpha=16", "lora_targets=c_attn,c_fc", "learning_rate=2e-3", "min_lr=2e-4"]
    public static let arms: [Arm] = [
        Arm(name: "base", summary: "pretrained on the biographies (softmax, AdamW)", stage: .pretrain, startsFrom: nil, settings: []),
        Arm(name: "sft", summary: "full SFT: softmax + AdamW", stage: .sft, startsFrom: "base", settings: []),
        Arm(name: "sft-stablemax", summary: "full SFT: StableMax + ⊥AdamW", stage: .sft, startsFrom: "base", settings: stableMax),
        Arm(name: "sft-stablemax-adamw", summary: "full SFT: StableMax + AdamW (which part of the pair matters)", stage: .sft,
            startsFrom: "base", settings: ["loss=stablemax"]),
        Arm(name: "sft-orth", summary: "full SFT: softmax + ⊥AdamW", stage: .sft, startsFrom: "base", settings: ["orthogonal=true"]),
        Arm(name: "lora", summary: "LoRA r 8: softmax + AdamW", stage: .sft, startsFrom: "base", settings: lora),
        Arm(name: "lora-stablemax", summary: "LoRA r 8: StableMax + ⊥AdamW", stage: .sft, startsFrom: "base", settings: lora + stableMax),
        Arm(name: "dpo", summary: "DPO β 0.1 from sft: sentences over short answers", stage: .dpo, startsFrom: "sft",
            settings: ["dpo_beta=0.1"]),
    ]
    public static let preset = "configs/instruct-cpu.toml"

    public var plan: StudyPlan
    public var task = InstructTask()
    /// Steps of each stage (pretraining is the preset's max_iters unless given).
    public var pretrainSteps: Int? = nil
    public var sftSteps = 300
    public var dpoSteps = 150

    public init(plan: StudyPlan) { self.plan = plan }

    var taskFolder: String { "\(plan.output)/task" }

    /// The task's files (made once; a continued study keeps them) and the tokenizer every run shares.
    public func prepare() throws -> [String] {
        if !FileManager.default.fileExists(atPath: "\(taskFolder)/tokenizer.json") { try task.write(to: taskFolder) }
        return ["tokenizer=hf:\(taskFolder)/tokenizer.json"]
    }

    /// The stage's data, length and learning rate, and where the run starts.
    public func configure(_ config: inout TrainConfig, for run: StudyRun<Arm>) throws {
        func set(_ settings: [String]) throws { for s in settings { try config.apply(override: s) } }
        let steps: Int
        switch run.arm.stage {
        case .pretrain:
            steps = pretrainSteps ?? config.maxIters
            try set(["data=\(taskFolder)/pretrain.jsonl"])
        case .sft:
            steps = sftSteps
            try set(["data=\(taskFolder)/sft.jsonl", "data_layout=chat", "chat_template=chatml", "warmup_iters=20"])
            if config.loraRank == 0 { try set(["learning_rate=3e-4", "min_lr=3e-5"]) }
        case .dpo:
            steps = dpoSteps
            try set(["data=\(taskFolder)/dpo.jsonl", "data_layout=preference", "chat_template=chatml", "objective=dpo",
                     "learning_rate=1e-4", "min_lr=1e-5", "warmup_iters=10", "weight_decay=0"])
        }
        // warmup: at most a tenth of the stage (a short study stays valid)
        try set(["warmup_iters=\(min(config.warmupIters, steps / 10))", "max_iters=\(steps)", "lr_decay_iters=\(steps)", "eval_interval=\(max(steps / 4, 1))",
                 "log_interval=\(min(config.logInterval, max(steps / 10, 1)))"])
        if let start = run.arm.startsFrom { try set(["init_from=\(plan.output)/\(start)-seed\(run.seed)"]) }
    }

    /// Orders the runs so that every start is trained first (the arms' order does that: base, SFT arms, DPO); an arm
    /// whose start is not among the chosen arms needs that run in OUT already.
    public func runs(of arms: [Arm]) throws -> [StudyRun<Arm>] {
        for arm in arms {
            guard let start = arm.startsFrom, !arms.contains(where: { $0.name == start }) else { continue }
            for seed in plan.seeds where RunFolder("\(plan.output)/\(start)-seed\(seed)").latestCheckpoint == nil {
                throw ConfigError("arm \(arm.name) starts from \(start)'s run, which \(plan.output)/\(start)-seed\(seed) does not hold yet; add \(start) to --arms")
            }
        }
        return everyArmBySeed(arms)
    }

    public func record(of run: StudyRun<Arm>, trainer: Trainer) throws -> InstructArmRecord {
        let session = try ChatSession(model: trainer.model, tokenizer: trainer.data.tokenizer, format: .chatML,
                                      sampling: .greedy, device: trainer.device)
        func score(_ questions: [InstructTask.Question]) throws -> (accuracy: Double, sentences: Double, example: String) {
            var correct = 0, sentences = 0, example = ""
            for question in questions {
                session.reset()
                let reply = try session.reply(to: question.prompt[0].content, maxTokens: 24)
                let result = InstructTask.score(reply, for: question)
                correct += result.correct ? 1 : 0
                sentences += result.sentence ? 1 : 0
                if example.isEmpty { example = "\(question.prompt[0].content) → \(reply)" }
            }
            let n = Double(max(questions.count, 1))
            return (Double(correct) / n, Double(sentences) / n, example)
        }
        let heldOut = try score(task.questions(heldOut: true)), tuned = try score(task.questions(heldOut: false))
        let trainable = trainer.model.namedParameters().filter { $0.tensor.requiresGrad }.map { $0.tensor.shape.reduce(1, *) }.reduce(0, +)
        return InstructArmRecord(
            arm: run.arm.name, summary: run.arm.summary, stage: run.arm.stage.rawValue, seed: run.seed,
            runDirectory: trainer.runDirectory, trainableParameters: trainable, steps: trainer.config.maxIters,
            valLoss: try trainer.fullValidationLoss(), heldOutAccuracy: heldOut.accuracy, tunedAccuracy: tuned.accuracy,
            heldOutSentences: heldOut.sentences, heldOutQuestions: task.questions(heldOut: true).count, example: heldOut.example,
            metrics: try MetricsLog(contentsOf: "\(trainer.runDirectory)/metrics.jsonl"))
    }

    public func writeReport(_ records: [InstructArmRecord]) throws { try InstructReport.write(records, to: plan.output) }
}
