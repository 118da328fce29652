// RunTokenizer.swift — the tokenizer travels with the run: its files are copied into the run folder when training
// starts, so `mnemo sample RUN` and `mnemo eval RUN` work from any working directory and after the run folder or
// the data moves.
//
//   char                  RUN/tokenizer.json (the vocabulary)
//   gpt2:DIR              RUN/tokenizer/encoder.json + vocab.bpe, RUN/tokenizer.spec = "gpt2:tokenizer"
//   hf:PATH               RUN/tokenizer/tokenizer.json,           RUN/tokenizer.spec = "hf:tokenizer/tokenizer.json"
//                         (and the tokenizer_config.json and chat_template.jinja beside it, when there: its chat template)
//   chat_template = PATH  RUN/tokenizer/chat_template_config.json (a copy of that tokenizer_config.json)
//   (data modular:OP:P)   RUN/tokenizer.spec = "numbers:P" (NumberTokenizer)
//   (huggingface:PATH is hf:PATH; MnemoData's TokenizerSpec reads every spec)
// A relative path in tokenizer.spec is the run folder's; runs made before this (paths relative to where training
// ran) still load when that path still resolves.
import Foundation
import MnemoData
import MnemoSupport

public enum RunTokenizer {
    static func save(_ data: TokenData, into run: String) throws {
        let fm = FileManager.default
        let text = data.tokenizerSpec
        if let numbers = data.tokenizer as? NumberTokenizer {
            try writeAtomically(Data(numbers.spec.utf8), to: "\(run)/tokenizer.spec")
            return
        }
        if let chars = data.tokenizer as? CharTokenizer, text == "char" || text.hasPrefix("char:") {
            try chars.save(to: "\(run)/tokenizer.json")
            return
        }
        let spec: TokenizerSpec
        do { spec = try TokenizerSpec(parsing: text) } catch {
            throw ConfigError("tokenizer '\(text)' cannot be saved with the run: \(error.message)")
        }
        let folder = "\(run)/tokenizer"
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func copy(_ source: String, _ name: String) throws { try replacingCopy(source, to: "\(folder)/\(name)") }
        let saved: TokenizerSpec
        switch spec {
        case .gpt2(let dir):
            // OpenAI's names, or a Hugging Face GPT-2 folder's (vocab.json + merges.txt: the same two files)
            let hfNames = !FileManager.default.fileExists(atPath: "\(dir)/encoder.json")
                && FileManager.default.fileExists(atPath: "\(dir)/vocab.json")
            try copy("\(dir)/\(hfNames ? "vocab.json" : "encoder.json")", "encoder.json")
            try copy("\(dir)/\(hfNames ? "merges.txt" : "vocab.bpe")", "vocab.bpe")
            saved = .gpt2(directory: "tokenizer")
        case .huggingFace(let path):
            try copy(path, "tokenizer.json")
            // its chat template and special-token names travel with it (chat_template = "tokenizer")
            for (file, name) in companions(of: path) { try copy(file, name) }
            saved = .huggingFace(path: "tokenizer/tokenizer.json")
        case .char:
            throw ConfigError("tokenizer '\(text)' cannot be saved with the run")
        }
        try writeAtomically(Data(saved.text.utf8), to: "\(run)/tokenizer.spec")
    }

    /// Writes run `run`'s tokenizer files into Hugging Face folder `out` under their Hugging Face names (GPT-2's
    /// vocab.json + merges.txt; tokenizer.json with the tokenizer_config.json and chat_template.jinja kept beside it),
    /// and the chat template the run was tuned with: ChatML as a chat_template.jinja (the file transformers reads before
    /// a config's key), a named tokenizer_config.json's template likewise. Returns what it wrote, for the log.
    public static func export(run: String, chatTemplate: String, to out: String) throws -> String {
        let fm = FileManager.default
        func copy(_ from: String, _ name: String) throws { try replacingCopy(from, to: "\(out)/\(name)") }
        var written: [String]
        switch savedSpec(run: run) {
        case .gpt2(let dir):
            try copy("\(dir)/encoder.json", "vocab.json")
            try copy("\(dir)/vocab.bpe", "merges.txt")
            written = ["GPT-2 BPE (vocab.json, merges.txt)"]
        case .huggingFace(let path):
            try copy(path, "tokenizer.json")
            written = ["tokenizer.json"]
            for (file, name) in companions(of: path) {
                try copy(file, name)
                written.append(name)
            }
        case .char, nil:
            return "none (a character vocabulary has no Hugging Face tokenizer; the folder holds the model only)"
        }
        // the template the run was tuned with, where it is not the tokenizer's own
        let named = "\(run)/\(chatTemplateCopy)"
        var template: (source: String, eos: String)? = nil
        if chatTemplate == "chatml" {
            template = (ChatFormat.chatMLJinja, ChatFormat.chatML.eos)
        } else if chatTemplate != "tokenizer", fm.fileExists(atPath: named) {
            let format = try ChatFormat.tokenizerConfig(named)
            template = (format.jinjaSource ?? ChatFormat.chatMLJinja, format.eos)
        }
        if let template {
            try Data(template.source.utf8).write(to: URL(fileURLWithPath: "\(out)/chat_template.jinja"))
            if !fm.fileExists(atPath: "\(out)/tokenizer_config.json") {
                try Data("{\"eos_token\": \(jsonQuoted(template.eos))}\n".utf8).write(to: URL(fileURLWithPath: "\(out)/tokenizer_config.json"))
                written.append("tokenizer_config.json")
            }
            if !written.contains("chat_template.jinja") { written.append("chat_template.jinja") }
        }
        return written.joined(separator: ", ")
    }

    /// The name of the copy of a chat_template given as a path.
    static let chatTemplateCopy = "tokenizer/chat_template_config.json"

    /// Copies a chat_template given as a path (a tokenizer_config.json) into the run.
    static func saveChatTemplate(_ config: TrainConfig, into run: String) throws {
        guard !["chatml", "tokenizer"].contains(config.chatTemplate),
              FileManager.default.fileExists(atPath: config.chatTemplate) else { return }
        try FileManager.default.createDirectory(atPath: "\(run)/tokenizer", withIntermediateDirectories: true)
        try replacingCopy(config.chatTemplate, to: "\(run)/\(chatTemplateCopy)")
    }

    /// The files beside a tokenizer.json that carry its chat template and special-token names, with their names.
    static func companions(of tokenizerJSON: String) -> [(file: String, name: String)] {
        let folder = (tokenizerJSON as NSString).deletingLastPathComponent
        return ["tokenizer_config.json", "chat_template.jinja"].map { ("\(folder)/\($0)", $0) }
            .filter { FileManager.default.fileExists(atPath: $0.file) }
    }

    /// Copies `source` to `target`, replacing what is there; a failure names both.
    static func replacingCopy(_ source: String, to target: String) throws {
        try? FileManager.default.removeItem(atPath: target)
        do { try FileManager.default.copyItem(atPath: source, toPath: target) } catch {
            throw ConfigError("cannot copy \(source) to \(target): \(error.localizedDescription)")
        }
    }

    /// The tokenizer of run folder `run` whose config names `configTokenizer`.
    static func load(run: String, configTokenizer: String) throws -> any Tokenizer {
        if let spec = savedSpec(run: run) { return try loadTokenizer(spec) }
        if let text = try? String(contentsOfFile: "\(run)/tokenizer.spec", encoding: .utf8) {
            if let numbers = NumberTokenizer(spec: text.trimmingCharacters(in: .whitespacesAndNewlines)) { return numbers }
            return try TokenData.tokenizer(spec: text.trimmingCharacters(in: .whitespacesAndNewlines))   // says what is wrong
        }
        if FileManager.default.fileExists(atPath: "\(run)/tokenizer.json") {
            return try loadTokenizer(.char(path: "\(run)/tokenizer.json"))
        }
        return try TokenData.tokenizer(spec: configTokenizer)
    }

    /// The tokenizer.spec of run folder `run` with its path resolved (the run's own copy when the path is relative
    /// and present there); nil when the run has none (a character vocabulary) or it does not parse.
    public static func savedSpec(run: String) -> TokenizerSpec? {
        guard let text = try? String(contentsOfFile: "\(run)/tokenizer.spec", encoding: .utf8),
              let spec = try? TokenizerSpec(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        if !spec.path.hasPrefix("/") && FileManager.default.fileExists(atPath: "\(run)/\(spec.path)") {
            return spec.moved(to: "\(run)/\(spec.path)")
        }
        return spec
    }
}
