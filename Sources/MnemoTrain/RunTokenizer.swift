// RunTokenizer.swift — the tokenizer travels with the run: its files are copied into the run folder when training
// starts, so `mnemo sample RUN` and `mnemo eval RUN` work from any working directory and after the run folder or
// the data moves.
//
//   char                  RUN/tokenizer.json (the vocabulary)
//   gpt2:DIR              RUN/tokenizer/encoder.json + vocab.bpe, RUN/tokenizer.spec = "gpt2:tokenizer"
//   hf:PATH               RUN/tokenizer/tokenizer.json,           RUN/tokenizer.spec = "hf:tokenizer/tokenizer.json"
// A relative path in tokenizer.spec is the run folder's; runs made before this (paths relative to where training
// ran) still load when that path still resolves.
import Foundation
import MnemoData

enum RunTokenizer {
    static func save(_ data: TokenData, into run: String) throws {
        let fm = FileManager.default
        let spec = data.tokenizerSpec
        if let chars = data.tokenizer as? CharTokenizer, spec == "char" || spec.hasPrefix("char:") {
            try chars.save(to: "\(run)/tokenizer.json")
            return
        }
        let folder = "\(run)/tokenizer"
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func copy(_ source: String, _ name: String) throws {
            let target = "\(folder)/\(name)"
            try? fm.removeItem(atPath: target)
            do { try fm.copyItem(atPath: source, toPath: target) } catch {
                throw ConfigError("cannot copy the tokenizer file \(source) into \(folder): \(error.localizedDescription)")
            }
        }
        let saved: String
        if spec.hasPrefix("gpt2:") {
            let dir = String(spec.dropFirst(5))
            try copy("\(dir)/encoder.json", "encoder.json")
            try copy("\(dir)/vocab.bpe", "vocab.bpe")
            saved = "gpt2:tokenizer"
        } else if spec.hasPrefix("hf:") {
            try copy(String(spec.dropFirst(3)), "tokenizer.json")
            saved = "hf:tokenizer/tokenizer.json"
        } else {
            throw ConfigError("tokenizer '\(spec)' cannot be saved with the run")
        }
        try writeAtomically(Data(saved.utf8), to: "\(run)/tokenizer.spec")
    }

    /// The tokenizer of run folder `run` whose config names `configTokenizer`.
    static func load(run: String, configTokenizer: String) throws -> any Tokenizer {
        let specPath = "\(run)/tokenizer.spec"
        if let text = try? String(contentsOfFile: specPath, encoding: .utf8) {
            let spec = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let colon = spec.firstIndex(of: ":") else { return try TokenData.tokenizer(spec: spec) }
            let kind = spec[..<colon], path = String(spec[spec.index(after: colon)...])
            if !path.hasPrefix("/") && FileManager.default.fileExists(atPath: "\(run)/\(path)") {
                return try TokenData.tokenizer(spec: "\(kind):\(run)/\(path)")
            }
            return try TokenData.tokenizer(spec: spec)
        }
        if FileManager.default.fileExists(atPath: "\(run)/tokenizer.json") {
            return try TokenData.tokenizer(spec: "char:\(run)/tokenizer.json")
        }
        return try TokenData.tokenizer(spec: configTokenizer)
    }
}
