// TokenizerSpec.swift — where a tokenizer's files are, and the one way to spell that as text. Everything that names
// a tokenizer reads it here: `mnemo data prepare --tokenizer`, `mnemo tokenizer --tokenizer`, a train config's
// `tokenizer`, a run's tokenizer.spec, and the kind a prepared folder's meta.json records.
//
//     text                    files                                                  meta.json kind
//     char:VOCAB.json         a character vocabulary saved by CharTokenizer          "char"
//     gpt2:DIR                GPT-2's encoder.json + vocab.bpe (or vocab.json + merges.txt)   "gpt2"
//     hf:tokenizer.json       a Hugging Face tokenizer.json; also huggingface:PATH   "huggingface"
//
// `char` alone (a vocabulary built from the corpus) names no files, so it is not a spec: `mnemo data prepare` and a
// train config accept it as a choice of their own (DataPrepare.TokenizerChoice). A path may contain colons: only
// the first one separates the kind.

/// Where a tokenizer's files are.
public enum TokenizerSpec: Sendable, Equatable {
    /// A character vocabulary saved by CharTokenizer (`{"type": "char", "chars": [...]}`).
    case char(path: String)
    /// A folder with GPT-2's encoder.json + vocab.bpe.
    case gpt2(directory: String)
    /// A Hugging Face tokenizer.json (byte-level BPE).
    case huggingFace(path: String)
}

extension TokenizerSpec {
    /// The three kinds; the raw value is the name meta.json records.
    public enum Kind: String, Sendable, CaseIterable {
        case char
        case gpt2
        case huggingFace = "huggingface"

        /// The prefixes a spec of this kind may start with (before the colon); the first is the one written.
        public var prefixes: [String] {
            switch self {
            case .char: ["char"]
            case .gpt2: ["gpt2"]
            case .huggingFace: ["hf", "huggingface"]
            }
        }
    }

    /// What to write after "use " when a spec cannot be read.
    public static let usage = "use char:VOCAB.json, gpt2:DIR (with encoder.json and vocab.bpe) or hf:tokenizer.json"

    public init(kind: Kind, path: String) {
        switch kind {
        case .char: self = .char(path: path)
        case .gpt2: self = .gpt2(directory: path)
        case .huggingFace: self = .huggingFace(path: path)
        }
    }

    /// Reads "KIND:PATH" (see the file header).
    public init(parsing text: String) throws(TokenDataError) {
        let hint = Self.usage
        guard let colon = text.firstIndex(of: ":") else {
            throw TokenDataError(.invalidOption, "unknown tokenizer \"\(text)\"", hint: hint)
        }
        let prefix = String(text[..<colon]), path = String(text[text.index(after: colon)...])
        guard let kind = Kind.allCases.first(where: { $0.prefixes.contains(prefix) }) else {
            throw TokenDataError(.invalidOption, "unknown tokenizer kind \"\(prefix)\"", hint: hint)
        }
        guard !path.isEmpty else {
            throw TokenDataError(.invalidOption, "the tokenizer \"\(text)\" names no file or folder", hint: hint)
        }
        self.init(kind: kind, path: path)
    }

    /// The tokenizer a prepared folder's meta.json describes: its kind and the files written beside the shards.
    public init(preparedKind kind: String, folder: String, files: [String]) throws(TokenDataError) {
        guard let known = Kind(rawValue: kind) else {
            throw TokenDataError(.malformedInput, file: folder + "/meta.json", "unknown tokenizer kind \"\(kind)\"",
                                 hint: "prepare the folder again with `mnemo data prepare`")
        }
        switch known {
        case .gpt2: self = .gpt2(directory: folder)
        case .char, .huggingFace:
            let file = files.first { $0.hasSuffix(".json") } ?? "tokenizer.json"
            self.init(kind: known, path: folder + "/" + file)
        }
    }

    public var kind: Kind {
        switch self {
        case .char: .char
        case .gpt2: .gpt2
        case .huggingFace: .huggingFace
        }
    }

    /// The file or folder it names.
    public var path: String {
        switch self {
        case .char(let path), .gpt2(let path), .huggingFace(let path): path
        }
    }

    /// The same kind of tokenizer at another path.
    public func moved(to path: String) -> TokenizerSpec { TokenizerSpec(kind: kind, path: path) }

    /// The spec as text ("char:PATH", "gpt2:DIR", "hf:PATH"): what `init(parsing:)` reads back.
    public var text: String { kind.prefixes[0] + ":" + path }
}

extension TokenizerSpec: CustomStringConvertible {
    public var description: String {
        switch self {
        case .char(let path): return "char tokenizer \(path)"
        case .gpt2(let directory): return "GPT-2 tokenizer in \(directory)"
        case .huggingFace(let path): return "Hugging Face tokenizer \(path)"
        }
    }
}
