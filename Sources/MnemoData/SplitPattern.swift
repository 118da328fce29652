// SplitPattern.swift — the pre-tokenization regexes Mnemo implements by hand, recognised by their exact text in a
// tokenizer.json (a Split pre-tokenizer's `pattern.Regex`), and the interface their matchers share.
//
//   gpt2    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//           GPT-2, RoBERTa, MiniMind; Hugging Face's ByteLevel(use_regex: true) applies it itself.  GPT2PreTokenizer
//   llama3  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//           Llama 3.x (tiktoken's cl100k_base, with `\s*[\r\n]+` for `\s*[\r\n]`: the same matches). Llama3PreTokenizer
//   qwen2   the llama3 pattern with `\p{N}` for `\p{N}{1,3}` (one digit per piece): Qwen2, Qwen2.5, Qwen3.  Llama3PreTokenizer
//
// Refuses: every other pattern, even one that would cut text the same way; `init(regex:)` returns nil and the loader
// names the pattern in its error.

/// A hand-written pre-tokenization pattern: where the piece starting at a byte offset ends.
protocol PieceSplitter {
    /// End (exclusive) of the piece that starts at `start` (`start < end`): the regex's match there.
    func pieceEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int
    /// Whether the text may be cut at byte offset `i` (0 < i < count) without changing any piece.
    func isSafeSplit(_ p: UnsafePointer<UInt8>, _ i: Int, _ count: Int) -> Bool
}

extension PieceSplitter {
    /// The pieces of `text` as UTF-8 offset ranges.
    func pieces(_ text: String) -> [Range<Int>] {
        var copy = text
        return copy.withUTF8 { buffer -> [Range<Int>] in
            guard let p = buffer.baseAddress else { return [] }
            var ranges: [Range<Int>] = []
            var i = 0
            while i < buffer.count {
                let j = pieceEnd(p, i, buffer.count)
                ranges.append(i..<j)
                i = j
            }
            return ranges
        }
    }
}

/// Which pattern a byte-level tokenizer pre-tokenizes with.
public enum SplitPattern: String, Sendable, CaseIterable {
    case gpt2, llama3, qwen2

    /// The pattern as Hugging Face tokenizer.json files spell it.
    public var regex: String {
        switch self {
        case .gpt2: return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The pattern whose text is exactly `regex`, or nil.
    public init?(regex: String) {
        guard let found = Self.allCases.first(where: { $0.regex == regex }) else { return nil }
        self = found
    }

    /// The pieces `text` is cut into (for tools and tests).
    public func pieces(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        let ranges: [Range<Int>]
        switch self {
        case .gpt2: ranges = GPT2PreTokenizer().pieces(text)
        case .llama3: ranges = Llama3PreTokenizer(digitsPerPiece: 3).pieces(text)
        case .qwen2: ranges = Llama3PreTokenizer(digitsPerPiece: 1).pieces(text)
        }
        return ranges.map { String(decoding: bytes[$0], as: UTF8.self) }
    }
}
