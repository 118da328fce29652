// Eval.swift — `mnemo eval RUN|DIR`: a run's loss over all of its val split (the default), a multiple-choice task's
// accuracy (`--task FILE`: a .jsonl task scored with lm-evaluation-harness's conventions, or an llm.c eval .bin such as
// hellaswag_val.bin with llm.c's), or a text file's perplexity and bits per byte (`--text FILE`, lm-eval's rolling
// windows). RUN is a run folder (its latest checkpoint) or a Hugging Face model folder (what `mnemo export` writes);
// a Hugging Face folder has no val split, so it takes --task or --text. The scoring is MultipleChoiceEval.swift's and
// TextPerplexity.swift's; this file parses and prints.
import ArgumentParser
import Foundation
import MnemoData
import MnemoModels
import MnemoSupport
import MnemoTrain
import Torch

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loss over a run's val split, a multiple-choice task's accuracy (--task), or a text's perplexity (--text).",
        discussion: """
        --task FILE.jsonl: one item per line, {"query": "…", "choices": ["…", …], "gold": INDEX}; each choice continues the \
        query after --target-delimiter (lm-eval's " "); acc ranks the choices by summed log-likelihood, acc_norm by \
        log-likelihood per character of the choice (lm-eval's acc_norm). --task FILE.bin: llm.c's eval file (HellaSwag, \
        MMLU); acc_norm is llm.c's, the mean log-likelihood per token. --text FILE: perplexity per token and bits per \
        byte over lm-eval's disjoint rolling windows of the model's context.
        """)

    @Argument(help: "Run folder (the --out of `mnemo train`) or a Hugging Face model folder.") var runFolder: String
    @Option(help: "A multiple-choice task: a .jsonl file ({query, choices, gold}) or an llm.c eval .bin file.") var task: String?
    @Option(help: "A UTF-8 text file: perplexity and bits per byte.") var text: String?
    @Flag(help: "Also the full pass over train (the default evaluation; slow for big corpora).") var train = false
    @Option(help: "cpu, cuda or cuda:N (default: the run's device when available, else cpu).") var device: String?
    @Option(help: "Rows per forward pass (--task, --text).") var batchSize = 8
    @Option(help: "Score only the task's first N items.") var limit: Int?
    @Option(help: "Text put between the query and each choice of a .jsonl task (lm-eval's target_delimiter).")
    var targetDelimiter = MultipleChoiceEval.targetDelimiter
    @Flag(help: "Print one JSON object instead of text (--task, --text).") var json = false
    @Option(help: "Write each item's log-likelihoods and predictions to this .jsonl file (--task).") var logSamples: String?

    func validate() throws {
        if task != nil && text != nil { throw ValidationError("give --task or --text, not both") }
        if train && (task != nil || text != nil) { throw ValidationError("--train belongs to the loss evaluation, not to --task or --text") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if logSamples != nil && task == nil { throw ValidationError("--log-samples goes with --task") }
    }

    func run() throws {
        Runtime.checkVersion()
        do {
            if task == nil && text == nil && HuggingFaceFolder.isModelFolder(runFolder) {
                throw ConfigError("\(runFolder) is a Hugging Face folder, which has no val split; give --task FILE or --text FILE")
            }
            let loaded = try LoadedRun(runDirectory: runFolder, device: try parseDevice(device))
            if let task { try evaluateTask(task, loaded) } else if let text { try evaluateText(text, loaded) } else { try evaluateLoss(loaded) }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    func scorer(_ loaded: LoadedRun) -> LogLikelihoodScorer {
        LogLikelihoodScorer(model: loaded.model, device: loaded.device, lossKind: loaded.lossKind, rowsPerForward: batchSize) {
            FileHandle.standardError.write(Data("\($0)\n".utf8))
        }
    }

    /// Where the weights came from, for the first line.
    func origin(_ loaded: LoadedRun) -> String {
        HuggingFaceFolder.isModelFolder(runFolder) ? "\(runFolder) (Hugging Face folder)" : "\(runFolder) (step \(loaded.step))"
    }

    func evaluateTask(_ path: String, _ loaded: LoadedRun) throws {
        let vocabulary = loaded.config.model.configuration.vocabSize
        var prepared = try MultipleChoiceEval.prepare(file: path, model: loaded.model, tokenizer: loaded.tokenizer,
                                                      prefix: loaded.promptPrefix,
                                                      vocabularySize: vocabulary > 0 ? vocabulary : loaded.tokenizer.vocabularySize,
                                                      delimiter: targetDelimiter)
        if let limit { prepared = prepared.prefix(limit) }
        let scores = try MultipleChoiceEval.evaluate(prepared, scorer: scorer(loaded))
        let (acc, accNorm) = (scores.acc, scores.accNorm)
        let name = MultipleChoiceTask.name(of: path)
        let t = loaded.model.contextLength
        if let logSamples { try writeSamples(scores, to: logSamples) }
        if json {
            print(jsonObject([
                ("task", .string(name)), ("file", .string(path)), ("model", .string(runFolder)), ("step", .int(loaded.step)),
                ("items", .int(scores.items)), ("acc", .double(acc.mean)), ("acc_stderr", .double(acc.stderr)),
                ("acc_norm", .double(accNorm.mean)), ("acc_norm_stderr", .double(accNorm.stderr)),
                ("acc_norm_divides_by", .string(scores.normalization.rawValue)), ("items_cut", .int(scores.itemsCut)),
                ("context_length", .int(t)),
            ]))
            return
        }
        print("\(name): \(scores.items) items, \(origin(loaded))")
        print("  acc       \(withStderr(acc))   argmax of the summed log-likelihood of each choice")
        print("  acc_norm  \(withStderr(accNorm))   argmax of \(scores.normalization.summary)")
        if scores.itemsCut > 0 {
            print("  \(scores.itemsCut) item\(scores.itemsCut == 1 ? "'s" : "s'") context cut on the left to fit the model's \(t)-token window (lm-eval's rule)")
        }
    }

    func evaluateText(_ path: String, _ loaded: LoadedRun) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError("\(path): cannot read the text file") }
        guard let content = String(data: data, encoding: .utf8) else { throw ConfigError("\(path): not valid UTF-8 text") }
        let prefix = TextPerplexity.prefixToken(for: loaded, folder: runFolder)
        let result = try TextPerplexity.evaluate(content, file: path, tokenizer: loaded.tokenizer, leading: loaded.promptPrefix,
                                                 prefixToken: prefix, scorer: scorer(loaded))
        let t = loaded.model.contextLength
        if json {
            print(jsonObject([
                ("file", .string(path)), ("model", .string(runFolder)), ("step", .int(loaded.step)), ("tokens", .int(result.tokens)),
                ("bytes", .int(result.bytes)), ("log_likelihood", .double(result.logLikelihood)),
                ("perplexity", .double(result.perplexity)), ("bits_per_byte", .double(result.bitsPerByte)),
                ("byte_perplexity", .double(result.bytePerplexity)), ("windows", .int(result.windows)), ("context_length", .int(t)),
                ("prefix_token", prefix.map { .int($0) } ?? .null),
            ]))
            return
        }
        print("\(path): \(result.tokens) tokens, \(result.bytes) bytes, \(origin(loaded))")
        print(String(format: "  perplexity %.4f per token, %.4f bits per byte (byte perplexity %.4f)", result.perplexity,
                     result.bitsPerByte, result.bytePerplexity))
        print("  \(result.windows) disjoint windows of up to \(t) tokens (lm-eval's rolling windows: every token predicted once, "
              + (result.prefixed ? "the first after the prefix token \(prefix!))" : "the first token read only: no end-of-text token to put before it)"))
    }

    func evaluateLoss(_ loaded: LoadedRun) throws {
        let data = try TokenData.load(config: loaded.config)
        // the run's own objective's task loss (softmax or StableMax cross-entropy, masked targets left out)
        let objective = try RunBuilder.objective(loaded.config, model: loaded.model, tokenizer: loaded.tokenizer,
                                                 folder: RunFolder(runFolder), resuming: true)
        func loss(_ split: any BatchSource) -> Double {
            split.fullPassLoss(batchSize: loaded.config.batchSize, device: loaded.device) { batch in
                objective.loss(loaded.model, on: batch, training: false).task
            }
        }
        print(String(format: "step %d: val loss %.4f (%d tokens)", loaded.step, loss(data.val), data.val.tokenCount))
        if train { print(String(format: "step %d: train loss %.4f (%d tokens)", loaded.step, loss(data.train), data.train.tokenCount)) }
    }

    /// "0.3643 ± 0.0408" (n/a for a single item).
    func withStderr(_ value: (mean: Double, stderr: Double)) -> String {
        String(format: "%.4f ± %@", value.mean, value.stderr.isNaN ? "n/a   " : String(format: "%.4f", value.stderr))
    }

    /// One line per item: its line (or index), gold, each choice's log-likelihood and normalizer, the two predictions.
    func writeSamples(_ scores: MultipleChoiceScores, to path: String) throws {
        var out = ""
        for o in scores.outcomes {
            out += jsonObject([
                ("source", .int(o.source)), ("gold", .int(o.gold)), ("log_likelihoods", .doubles(o.logLikelihoods)),
                ("normalizers", .doubles(o.normalizers)), ("prediction", .int(o.prediction)),
                ("normalized_prediction", .int(o.normalizedPrediction)),
            ]) + "\n"
        }
        try Data(out.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// A value of the JSON that `--json` and `--log-samples` print.
private enum JSONField {
    case string(String), int(Int), double(Double), doubles([Double]), null

    var text: String {
        switch self {
        case .string(let s): jsonQuoted(s)
        case .int(let n): String(n)
        case .double(let x): x.isFinite ? "\(x)" : "null"
        case .doubles(let xs): "[" + xs.map { JSONField.double($0).text }.joined(separator: ", ") + "]"
        case .null: "null"
        }
    }
}

/// One JSON object on one line, its fields in the order given.
private func jsonObject(_ fields: [(String, JSONField)]) -> String {
    "{" + fields.map { "\(jsonQuoted($0.0)): \($0.1.text)" }.joined(separator: ", ") + "}"
}
