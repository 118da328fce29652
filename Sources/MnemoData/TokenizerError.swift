// TokenizerError.swift — the one error type of the tokenizers: loading, saving, training, checked encoding.
//
// `description` is a sentence for a person, naming the file (and the entry inside it) when there is one, what is
// wrong, and a hint:
//
//     ../data/gpt2/vocab.bpe: line 7: merge "Ġ th" uses "th", which is not in encoder.json. hint: the two files
//     must come from the same tokenizer (OpenAI's gpt-2 encodings/main)

/// A tokenizer file is missing, unreadable, corrupt or unsupported, or text / ids do not fit the vocabulary.
public struct TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A file or folder does not exist.
        case missingFile
        /// A file exists but cannot be read or written.
        case io
        /// A file is not what its format requires (bad JSON, wrong field types, merges that do not fit the vocabulary).
        case corruptFile
        /// A well-formed file uses a feature these tokenizers do not implement.
        case unsupported
        /// Text has a character that the (character-level) vocabulary does not have.
        case unknownCharacter
        /// An id is outside the vocabulary.
        case unknownId
        /// An argument is out of range (vocabulary size, thread count).
        case invalidArgument
    }

    public let kind: Kind
    /// The file concerned, as given; nil when the error is about no file.
    public let file: String?
    /// What is wrong, without the file name.
    public let message: String
    /// What to do about it, or nil.
    public let hint: String?

    public init(_ kind: Kind, file: String? = nil, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.file = file
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = file.map { "\($0): " } ?? ""
        text += message
        if let hint { text += ". hint: " + hint }
        return text
    }
}

extension TokenizerError {
    static func missing(_ path: String, what: String, hint: String) -> TokenizerError {
        TokenizerError(.missingFile, file: path, "no such file (expected \(what))", hint: hint)
    }

    static func corrupt(_ path: String, _ message: String, hint: String? = nil) -> TokenizerError {
        TokenizerError(.corruptFile, file: path, message, hint: hint)
    }
}

/// A character for messages: printable characters quoted, others as U+XXXX.
func describe(_ scalar: Unicode.Scalar) -> String {
    var digits = String(scalar.value, radix: 16, uppercase: true)
    while digits.count < 4 { digits = "0" + digits }
    let hex = "U+" + digits
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return hex
    default:
        return "\"\(Character(scalar))\" (\(hex))"
    }
}
