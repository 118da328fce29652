// GPT2PreTokenizer.swift — GPT-2's pre-tokenization regex, hand-written over UTF-8 bytes.
//
// The pattern (GPT-2's encoder.py, tiktoken's `gpt2`/`r50k_base`, Hugging Face's ByteLevel with use_regex):
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// Every scalar falls in one class: letter (\p{L}: general categories Lu Ll Lt Lm Lo), number (\p{N}: Nd Nl No),
// whitespace (\s: the Unicode White_Space property, as in Rust's regex and Oniguruma) or other. Tried in order at
// the start of a piece, the alternatives give:
//   1. `'` followed by s, t, re, ve, m, ll or d (lower case only): that contraction;
//   2. a letter / number / other scalar, optionally preceded by one space U+0020: the maximal run of its class;
//   3. a whitespace run: the whole run if it reaches the end of the text; else the run minus its last scalar
//      (`\s+(?!\S)` backs off one scalar so the next piece can be " word"); a run of one scalar is a piece.
// Consequence used by parallel encoding: a piece never contains a non-whitespace scalar followed by a whitespace
// scalar, and the pattern never looks behind, so the text can be cut before any whitespace scalar that follows a
// non-whitespace scalar without changing the pieces (`safeSplit`).
//
// Refuses nothing: the input is valid UTF-8 (it comes from a Swift String), which the decoder relies on.

/// Scalar classes of the pattern, as small integers (the tables store them as bytes).
enum ScalarClass {
    static let other: UInt8 = 0, letter: UInt8 = 1, number: UInt8 = 2, whitespace: UInt8 = 3

    static func of(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        if properties.isWhitespace { return whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return other
        }
    }

    /// Class of every Basic Multilingual Plane scalar (64 KiB, built once, never freed; surrogates are `other`).
    /// The first 128 entries are the ASCII classes.
    nonisolated(unsafe) static let bmpTable: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
        for value in 0..<0x10000 {
            table[value] = Unicode.Scalar(UInt32(value)).map(of) ?? other
        }
        return UnsafePointer(table)
    }()
}

/// The pattern's matcher. A value type holding the class table, so the hot loop reads no globals.
struct GPT2PreTokenizer {
    let table: UnsafePointer<UInt8>

    init() { table = ScalarClass.bmpTable }

    /// Class and UTF-8 length of the scalar starting at `i` (the bytes are valid UTF-8, `i` on a scalar start).
    @inline(__always)
    func scalarClass(_ p: UnsafePointer<UInt8>, _ i: Int) -> (UInt8, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (table[Int(b0)], 1) }
        return nonASCIIClass(p, i)
    }

    func nonASCIIClass(_ p: UnsafePointer<UInt8>, _ i: Int) -> (UInt8, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0xE0 {
            let value = (b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F)
            return (table[Int(value)], 2)
        }
        if b0 < 0xF0 {
            let value = (b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F)
            return (table[Int(value)], 3)
        }
        let value = (b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
            | UInt32(p[i + 3] & 0x3F)
        return (ScalarClass.of(Unicode.Scalar(value) ?? "\u{FFFD}"), 4)
    }

    /// End of the maximal run of scalars of class `cls` starting at `i`.
    @inline(__always)
    func runEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ cls: UInt8) -> Int {
        var j = i
        while j < end {
            let b = p[j]
            if b < 0x80 {
                if table[Int(b)] != cls { return j }
                j += 1
            } else {
                let (c, length) = nonASCIIClass(p, j)
                if c != cls { return j }
                j += length
            }
        }
        return end
    }

    /// End (exclusive) of the piece that starts at `start` (`start < end`): the regex's match there.
    @inline(__always)
    func pieceEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        let b0 = p[start]
        if b0 == UInt8(ascii: "'"), start + 1 < end {
            let b1 = p[start + 1]
            if b1 == UInt8(ascii: "s") || b1 == UInt8(ascii: "t") || b1 == UInt8(ascii: "m") || b1 == UInt8(ascii: "d") {
                return start + 2
            }
            if start + 2 < end {
                let b2 = p[start + 2]
                if (b1 == UInt8(ascii: "r") && b2 == UInt8(ascii: "e")) || (b1 == UInt8(ascii: "v") && b2 == UInt8(ascii: "e"))
                    || (b1 == UInt8(ascii: "l") && b2 == UInt8(ascii: "l")) {
                    return start + 3
                }
            }
        }
        let (cls, length) = scalarClass(p, start)
        if cls != ScalarClass.whitespace { return runEnd(p, start + length, end, cls) }
        if b0 == UInt8(ascii: " "), start + 1 < end {
            let (next, nextLength) = scalarClass(p, start + 1)
            if next != ScalarClass.whitespace { return runEnd(p, start + 1 + nextLength, end, next) }
        }
        // A whitespace run: find its end and the start of its last scalar.
        var last = start
        var j = start + length
        while j < end {
            let (c, l) = scalarClass(p, j)
            if c != ScalarClass.whitespace { break }
            last = j
            j += l
        }
        if j == end || last == start { return j }
        return last
    }

    /// Whether the text may be cut at byte offset `i` (0 < i < count) without changing any piece: the scalar at
    /// `i` is whitespace and the one before is not (see the header).
    func isSafeSplit(_ p: UnsafePointer<UInt8>, _ i: Int, _ count: Int) -> Bool {
        guard i > 0, i < count, p[i] & 0xC0 != 0x80 else { return false }
        guard scalarClass(p, i).0 == ScalarClass.whitespace else { return false }
        var start = i - 1
        while start > 0, p[start] & 0xC0 == 0x80 { start -= 1 }
        return scalarClass(p, start).0 != ScalarClass.whitespace
    }

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

/// Public view of the pre-tokenizer, for tools and tests: the pieces GPT-2's regex cuts `text` into.
public func gpt2PreTokenize(_ text: String) -> [String] {
    let bytes = Array(text.utf8)
    return GPT2PreTokenizer().pieces(text).map { String(decoding: bytes[$0], as: UTF8.self) }
}
