// GPT2PreTokenizer.swift — GPT-2's pre-tokenization regex, hand-written over UTF-8 bytes.
//
// The pattern (GPT-2's encoder.py, tiktoken's `gpt2`/`r50k_base`, Hugging Face's ByteLevel with use_regex):
//
//     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// Every scalar falls in one class (ScalarClass.swift): letter \p{L}, number \p{N}, whitespace \s or other. Tried in
// order at the start of a piece, the alternatives give:
//   1. `'` followed by s, t, re, ve, m, ll or d (lower case only): that contraction;
//   2. a letter / number / other scalar, optionally preceded by one space U+0020: the maximal run of its class;
//   3. a whitespace run: the whole run if it reaches the end of the text; else the run minus its last scalar
//      (`\s+(?!\S)` backs off one scalar so the next piece can be " word"); a run of one scalar is a piece.
// Consequence used by parallel encoding: a piece never contains a non-whitespace scalar followed by a whitespace
// scalar, and the pattern never looks behind, so the text can be cut before any whitespace scalar that follows a
// non-whitespace scalar without changing the pieces (`safeSplit`).
//
// Refuses nothing: the input is valid UTF-8 (it comes from a Swift String), which the decoder relies on.

/// The pattern's matcher. A value type holding the class table, so the hot loop reads no globals.
struct GPT2PreTokenizer: PieceSplitter {
    let classes = ScalarClasses()

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
        let (cls, length) = classes.scalarClass(p, start)
        if cls != ScalarClass.whitespace { return classes.runEnd(p, start + length, end, cls) }
        if b0 == UInt8(ascii: " "), start + 1 < end {
            let (next, nextLength) = classes.scalarClass(p, start + 1)
            if next != ScalarClass.whitespace { return classes.runEnd(p, start + 1 + nextLength, end, next) }
        }
        // A whitespace run: find its end and the start of its last scalar.
        var last = start
        var j = start + length
        while j < end {
            let (c, l) = classes.scalarClass(p, j)
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
        guard classes.scalarClass(p, i).0 == ScalarClass.whitespace else { return false }
        return classes.scalarClass(p, classes.previousStart(p, i)).0 != ScalarClass.whitespace
    }
}

/// Public view of the pre-tokenizer, for tools and tests: the pieces GPT-2's regex cuts `text` into.
public func gpt2PreTokenize(_ text: String) -> [String] { SplitPattern.gpt2.pieces(text) }
