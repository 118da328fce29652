// SpecialTokenMatcher.swift — finds special / added tokens in text before pre-tokenization.
//
// Matching is leftmost-longest (Hugging Face's added-vocabulary matcher; for tiktoken's single GPT-2 special token
// the rule makes no difference): scanning left to right, the first position where any token matches wins, and the
// longest token there. Text between matches is encoded as ordinary text. Hugging Face's `lstrip` / `rstrip` extend
// a match over the whitespace on its left / right (the whitespace is consumed). `single_word` and normalized
// matching are not implemented; the Hugging Face loader refuses files that would need them.

/// A special or added token: a string that is matched in text as a whole and mapped to one id.
public struct AddedToken: Sendable, Hashable {
    public var content: String
    public var id: Int
    /// Hugging Face's `special` flag (decoding may skip special tokens); GPT-2's `<|endoftext|>` is special.
    public var special: Bool
    public var lstrip: Bool
    public var rstrip: Bool

    public init(content: String, id: Int, special: Bool = true, lstrip: Bool = false, rstrip: Bool = false) {
        self.content = content
        self.id = id
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
    }
}

struct SpecialTokenMatcher: Sendable {
    struct Match {
        /// Byte range consumed (including whitespace taken by lstrip / rstrip).
        var start: Int
        var end: Int
        var id: Int
    }

    private struct Entry: Sendable {
        var bytes: [UInt8]
        var id: Int
        var lstrip: Bool
        var rstrip: Bool
    }

    /// Entries by first byte, longest first.
    private let byFirstByte: [[Entry]]
    let maxLength: Int
    let isEmpty: Bool
    /// Whether some token strips whitespace (parallel encoding then stays on one thread).
    let strips: Bool

    init(_ tokens: [AddedToken]) {
        var table = [[Entry]](repeating: [], count: 256)
        var longest = 0
        var strips = false
        for token in tokens where !token.content.isEmpty {
            let bytes = Array(token.content.utf8)
            table[Int(bytes[0])].append(Entry(bytes: bytes, id: token.id, lstrip: token.lstrip, rstrip: token.rstrip))
            longest = max(longest, bytes.count)
            strips = strips || token.lstrip || token.rstrip
        }
        for i in 0..<256 {
            table[i].sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.bytes.lexicographicallyPrecedes($1.bytes) }
        }
        byFirstByte = table
        maxLength = longest
        isEmpty = longest == 0
        self.strips = strips
    }

    /// The first match in `p[from..<end]`, or nil.
    func nextMatch(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> Match? {
        if isEmpty { return nil }
        var i = from
        while i < end {
            let candidates = byFirstByte[Int(p[i])]
            if !candidates.isEmpty {
                for entry in candidates where i + entry.bytes.count <= end {
                    let equal = entry.bytes.withUnsafeBufferPointer { memcmpBytes($0.baseAddress!, p + i, $0.count) }
                    if equal {
                        var match = Match(start: i, end: i + entry.bytes.count, id: entry.id)
                        if entry.lstrip { match.start = whitespaceStart(p, before: match.start, limit: from) }
                        if entry.rstrip { match.end = whitespaceEnd(p, after: match.end, limit: end) }
                        return match
                    }
                }
            }
            i += 1
        }
        return nil
    }

    /// Whether an occurrence of some token covers both byte `i - 1` and byte `i` (cutting at `i` would break it).
    func straddles(_ p: UnsafePointer<UInt8>, _ i: Int, count: Int) -> Bool {
        if isEmpty { return false }
        var start = max(0, i - maxLength + 1)
        while start < i {
            for entry in byFirstByte[Int(p[start])] where start + entry.bytes.count > i && start + entry.bytes.count <= count {
                if entry.bytes.withUnsafeBufferPointer({ memcmpBytes($0.baseAddress!, p + start, $0.count) }) { return true }
            }
            start += 1
        }
        return false
    }

    private func whitespaceStart(_ p: UnsafePointer<UInt8>, before i: Int, limit: Int) -> Int {
        let classes = ScalarClasses()
        var start = i
        while start > limit {
            var s = start - 1
            while s > limit, p[s] & 0xC0 == 0x80 { s -= 1 }
            if classes.scalarClass(p, s).0 != ScalarClass.whitespace { break }
            start = s
        }
        return start
    }

    private func whitespaceEnd(_ p: UnsafePointer<UInt8>, after i: Int, limit: Int) -> Int {
        let classes = ScalarClasses()
        var end = i
        while end < limit {
            let (cls, length) = classes.scalarClass(p, end)
            if cls != ScalarClass.whitespace { break }
            end += length
        }
        return end
    }
}
