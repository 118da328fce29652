// StreamingDecoder.swift — text of tokens as they are generated: each new token's text once it decodes whole (a
// multi-byte character split across tokens waits for its last byte, instead of printing U+FFFD), so streamed pieces
// join to exactly the decode of all the tokens.
public struct StreamingDecoder {
    let tokenizer: any Tokenizer
    /// The tokens so far.
    public private(set) var ids: [Int] = []
    var printed = ""

    public init(_ tokenizer: any Tokenizer) { self.tokenizer = tokenizer }

    /// Adds `id`; returns the text it completes ("" while a character is still incomplete).
    public mutating func add(_ id: Int) -> String {
        ids.append(id)
        let text = tokenizer.decode(ids)
        guard !text.hasSuffix("\u{FFFD}"), text.hasPrefix(printed) else { return "" }
        defer { printed = text }
        return String(text.dropFirst(printed.count))
    }

    /// The text not returned yet (a character left incomplete at the end decodes as U+FFFD).
    public mutating func finish() -> String {
        let text = tokenizer.decode(ids)
        guard text.hasPrefix(printed) else { return "" }
        defer { printed = text }
        return String(text.dropFirst(printed.count))
    }

    /// The decode of all the tokens.
    public var text: String { tokenizer.decode(ids) }
}
