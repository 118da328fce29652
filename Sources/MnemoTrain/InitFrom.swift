// InitFrom.swift — where a new run's model starts (nanoGPT's init_from): a Hugging Face folder (GPT-2, Llama, Qwen2,
// Qwen3, MiniMind: its config.json gives the model, its safetensors the weights) or a Mnemo run folder (its saved
// model settings, and its latest checkpoint's weights — the parameter EMA's average when the run kept one, as
// `mnemo sample` uses them — with a LoRA adapter merged into the base). The run's own dropout is kept either way.
// A run folder is only a start when its tokenizer has the new run's vocabulary size (a different tokenizer would
// give the embeddings other meanings); a run that has no checkpoint yet is refused.
import Foundation
import MnemoData
import MnemoModels
import MnemoSupport

enum InitFrom {
    /// `path` is a Mnemo run folder (settings and checkpoints, not a Hugging Face model folder).
    static func isRunFolder(_ path: String) -> Bool {
        !HuggingFaceFolder.isModelFolder(path) && RunFolder(path).hasConfig
            && FileManager.default.fileExists(atPath: RunFolder(path).checkpoints)
    }

    /// The model the run starts as, with `dropout` where the model has one.
    static func spec(_ path: String, dropout: Double?) throws -> ModelSpec {
        guard isRunFolder(path) else { return try HuggingFaceImport.spec(path, dropout: dropout) }
        var spec = try TrainConfig.load(RunFolder(path).config).model
        if let dropout, spec.has("dropout") { try spec.set("dropout", dropout, source: "the run's dropout") }
        return spec
    }

    /// Copies the starting weights into `model` (built from `spec(path:)`).
    static func loadWeights(_ path: String, into model: any LanguageModel, tokenizer: any Tokenizer) throws {
        guard isRunFolder(path) else { return try HuggingFaceImport.loadWeights(path, into: model) }
        let start = try LoadedRun(runDirectory: path, device: .cpu)
        guard start.tokenizer.vocabularySize == tokenizer.vocabularySize else {
            throw ConfigError("init_from \(path): its tokenizer has \(start.tokenizer.vocabularySize) tokens, this run's \(tokenizer.vocabularySize); a run continues with the tokenizer it was trained with (tokenizer = its tokenizer's spec)")
        }
        PEFTAdapter.merge(start.model)
        do { try model.load(stateDict: start.model.stateDict()) } catch {
            throw ConfigError("init_from \(path): its weights do not fit this model: \(error)")
        }
    }
}
