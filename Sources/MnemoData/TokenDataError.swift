// TokenDataError.swift — the one error type of token shards, batch loaders and data preparation.
//
// Every error names the file (and line, for text inputs) it is about, says what is wrong, and, where there is
// something useful to say, how to fix it:
//
//     data/train_000000.bin: the file has 1,024,000 bytes but its header declares 600,000 uint16 tokens, which
//     need 1,201,024 bytes (the file is truncated). hint: the shard was not written completely; prepare it again

/// A token shard, a loader's input or a data-preparation input is not usable.
///
/// `description` is a full sentence for a person (`FILE:LINE: what is wrong. hint: what to do`); `kind` lets code
/// and tests tell failures apart without parsing the message.
public struct TokenDataError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A file or folder could not be opened, read, mapped, written or renamed (the message carries strerror).
        case io
        /// An input file or folder does not exist.
        case missingFile
        /// A shard is shorter than the 1,024-byte header.
        case headerTooSmall
        /// The first header value is not a token-shard magic number.
        case badMagic
        /// The magic number is known but the version is not one that goes with it.
        case badVersion
        /// The header's token count is negative.
        case badTokenCount
        /// The file size is not header + count × token size (truncated, or bytes after the tokens).
        case sizeMismatch
        /// A token id does not fit the shard's token width (or is negative).
        case tokenOutOfRange
        /// More tokens than the header's int32 count can declare.
        case tooManyTokens
        /// A token stream is too short for even one window (T + 1 tokens) or one step of windows.
        case notEnoughTokens
        /// No shards were found or given.
        case noShards
        /// A saved loader position does not fit the shards it is restored on.
        case invalidState
        /// An input line is not what the format requires (a jsonl line that is not an object with a string "text").
        case malformedInput
        /// The inputs hold no text to train on.
        case emptyCorpus
        /// A setting is outside its range (validation fraction, shard size).
        case invalidOption
    }

    public let kind: Kind
    /// The file concerned, as given; nil when the error is about no one file.
    public let file: String?
    /// The 1-based line number in `file`, for text inputs.
    public let line: Int?
    /// What is wrong, without the file and line (`description` adds them).
    public let message: String
    /// What to check or do about it, if there is something useful to say.
    public let hint: String?

    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = ""
        if let file {
            text += file
            if let line { text += ":\(line)" }
            text += ": "
        }
        text += message
        if let hint { text += ". hint: " + hint }
        return text
    }
}
