// TaskEvalHook.swift — `hooks = ["task_eval:eval/tasks/arith.jsonl"]`: a multiple-choice task scored at every
// evaluation of a run, on the weights evaluation uses (the parameter EMA's when the run keeps one), logged to
// metrics.jsonl as task/NAME/acc and task/NAME/acc_norm (NAME: the file's name without extension), so the report charts
// them. The file is a .jsonl task (MultipleChoiceTask.swift: lm-eval's acc_norm, by characters) or an llm.c eval .bin
// (HellaSwagFile.swift: llm.c's acc_norm, by tokens); it is read and tokenized once, when the run is built, so a bad
// file stops the run before its first step. Every item is scored at every evaluation (keep the file small: a few
// hundred items), in float32 without autocast, by every data-parallel rank alike (the ranks hold the same weights).
import Foundation
import MnemoData
import MnemoModels
import TorchNN

public final class TaskEvalHook: TrainingHook {
    public let name: String
    let prepared: PreparedChoices
    let lossKind: LossKind
    let rowsPerForward: Int

    /// The task at `path`, tokenized with the run's tokenizer.
    public init(path: String, run: HookInputs) throws {
        let vocabulary = run.config.model.configuration.vocabSize
        prepared = try MultipleChoiceEval.prepare(file: path, model: run.model, tokenizer: run.tokenizer,
                                                  vocabularySize: vocabulary > 0 ? vocabulary : run.tokenizer.vocabularySize)
        name = "task/" + MultipleChoiceTask.name(of: path)
        lossKind = run.config.loss
        rowsPerForward = run.config.batchSize
    }

    public func atEvaluation(_ context: StepContext) throws -> [String: Double] {
        let model = context.model
        defer { model.train() }
        let scorer = LogLikelihoodScorer(model: model, device: context.device, lossKind: lossKind, rowsPerForward: rowsPerForward)
        let scores = try MultipleChoiceEval.evaluate(prepared, scorer: scorer)
        return ["\(name)/acc": scores.acc.mean, "\(name)/acc_norm": scores.accNorm.mean]
    }
}
