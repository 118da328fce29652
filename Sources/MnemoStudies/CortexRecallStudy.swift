// CortexRecallStudy.swift — `mnemo study cortex-recall`: do CortexGPT's memories carry information when the task needs
// memory? The cortex study (CortexStudy.swift) found that on tinyshakespeare knocking the STM or the LTM out changes
// val loss by about 0.01 nats: the text does not need them. Here every run trains on the built-in associative-recall
// stream (RecallStream: facts stated at the end of one chunk, asked at the start of the next — "near", within the
// STM's reach — or of the chunk after it — "far", beyond it), fed in order (SequentialChunks) with cortex_stm_carry on,
// so the fact is never in the window of its query: only a memory carried across chunks can answer.
//
// Arms (each with every seed; the cortex study's, from configs/cortex-recall-cpu.toml):
//   A   legacy-like memory layer      C   the document's full toolkit      D   plain transformer of about C's size
// After training, one pass over the val streams in order (STM emptied first; the LTM consolidated once per chunk, at the
// training's cadence, and put back afterwards) scores exact answers at the queries, near and far, and the loss; for A
// and C again with the STM, the LTM and both knocked out (retrieving zeros). On the evaluation weights (C's EMA).
import Foundation
import MnemoData
import MnemoModels
import MnemoReport
import MnemoTrain
import Torch

public struct CortexRecallStudy: Study {
    public typealias Arm = CortexStudy.Arm

    /// The cortex study's A, C and D.
    public static let arms: [Arm] = ["A", "C", "D"].map { name in CortexStudy.arms.first { $0.name == name }! }
    public static let preset = "configs/cortex-recall-cpu.toml"

    public var plan: StudyPlan

    public init(plan: StudyPlan) { self.plan = plan }

    /// The full model, then (with a memory layer) each knock-out.
    public func record(of run: StudyRun<Arm>, trainer: Trainer) throws -> CortexRecallRecord {
        let gpt = trainer.model as? GPT
        let memory = gpt?.config.cortex.isEnabled == true
        let window = gpt?.config.cortex.stmSlots ?? 0
        var record = CortexRecallRecord(
            arm: run.arm.name, summary: run.arm.summary, seed: run.seed, runDirectory: trainer.runDirectory,
            parameters: trainer.model.parameterCount(nonEmbedding: true), allParameters: trainer.model.parameterCount,
            metrics: try MetricsLog(contentsOf: "\(trainer.runDirectory)/metrics.jsonl"),
            tokensPerStep: trainer.config.tokensPerIteration ?? 0, window: window, chance: Self.chance(trainer.config))
        for knockout in RecallKnockout.allCases where memory || knockout == .none {
            record.scores[knockout] = Self.score(trainer, knockout: knockout, window: window)
        }
        return record
    }

    /// 1 / the number of values of the run's recall stream.
    static func chance(_ config: TrainConfig) -> Double {
        RecallStream.parse(spec: config.data, chunkLength: config.blockSize).map { 1 / Double($0.values) } ?? .nan
    }

    /// One pass over the val streams in order, in eval mode on the evaluation weights, with `knockout`'s memories
    /// retrieving zeros. The STM starts empty; after each chunk the memory layers consolidate as after an optimizer step
    /// (steps continuing from the run's last), and the memories are put back as they were afterwards.
    static func score(_ trainer: Trainer, knockout: RecallKnockout, window: Int) -> RecallScore {
        let model = trainer.model, gpt = model as? GPT
        return trainer.averaged {
            model.eval()
            defer { model.train() }
            func pass() -> RecallScore {
                var score = RecallScore()
                let batches = trainer.data.val.evaluationBatches(size: trainer.config.batchSize, device: trainer.device, rank: 0, ranks: 1)
                for (i, batch) in batches.enumerated() {
                    guard let gaps = batch.extras[RecallStream.gapKey] else { continue }
                    let logits = withNoGrad { model.forward(batch.inputs, targets: nil).logits }
                    score.add(logits: logits, targets: batch.targets, gaps: gaps, window: window)
                    gpt?.afterOptimizerStep(step: trainer.config.maxIters + i)
                }
                return score
            }
            guard let gpt else { return pass() }
            return gpt.preservingMemories {
                gpt.resetShortTermMemory()
                return gpt.withoutMemories(shortTerm: knockout.shortTermOff, longTerm: knockout.longTermOff) { pass() }
            }
        }
    }

    public func writeReport(_ records: [CortexRecallRecord]) throws { try CortexRecallReport.write(records, to: plan.output) }
}

/// Which memories an evaluation pass knocks out.
public enum RecallKnockout: String, CaseIterable, Sendable, Hashable {
    case none = "with both", noSTM = "no STM", noLTM = "no LTM", neither = "neither"

    var shortTermOff: Bool { self == .noSTM || self == .neither }
    var longTermOff: Bool { self == .noLTM || self == .neither }
}
