// NumberTokenizer.swift — the tokenizer of a task whose tokens are the numbers 0..<n (the grokking study's residues
// mod p): token i is the text "i", tokens are separated by spaces. Text that is not such numbers is refused by
// `encodeChecked`; `encode` stops the program on it, as CharTokenizer does for an unknown character.
public struct NumberTokenizer: Tokenizer {
    public let vocabularySize: Int
    public init(count: Int) { vocabularySize = count }

    /// How a run folder names it (RUN/tokenizer.spec).
    public var spec: String { "numbers:\(vocabularySize)" }

    /// The tokenizer a spec "numbers:N" names; nil for any other text.
    public init?(spec: String) {
        guard spec.hasPrefix("numbers:"), let n = Int(spec.dropFirst("numbers:".count)), n > 0 else { return nil }
        vocabularySize = n
    }

    public func encodeChecked(_ text: String) throws -> [Int] {
        try text.split(whereSeparator: \.isWhitespace).map { word in
            guard let id = Int(word), id >= 0, id < vocabularySize else {
                throw TokenizerError(.invalidArgument, "'\(word)' is not a number in 0..<\(vocabularySize)")
            }
            return id
        }
    }

    public func encode(_ text: String) -> [Int] {
        do { return try encodeChecked(text) } catch { preconditionFailure("NumberTokenizer: \(error)") }
    }

    public func decode(_ ids: [Int]) -> String { ids.map(String.init).joined(separator: " ") }
    public var endOfText: Int? { nil }
}
