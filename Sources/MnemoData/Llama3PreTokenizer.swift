// Llama3PreTokenizer.swift — the Llama 3 / Qwen2 pre-tokenization regex (tiktoken's cl100k_base family),
// hand-written over UTF-8 bytes:
//
//     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Qwen2 writes `\p{N}` for `\p{N}{1,3}`: `digitsPerPiece` is 3 or 1. Classes as in ScalarClass.swift; "newline" is
// \r or \n only. Tried in order at the start of a piece (leftmost-first alternation, backtracking as Oniguruma does
// in Hugging Face tokenizers), the alternatives give:
//   1. `'` followed by s, t, re, ve, m, ll or d in either case: that contraction. Case folding is Unicode's, so
//      `ſ` (U+017F LATIN SMALL LETTER LONG S, which folds to s) counts as s; no other scalar folds to these letters
//      (scripts/check_hf_pretokenizers.py tried all).
//   2. letters, optionally preceded by one scalar that is neither a newline, a letter nor a number (so a space, a
//      tab, U+3000, `(` or a combining mark joins the word after it): that scalar and the maximal letter run;
//   3. a number scalar: it and up to digitsPerPiece - 1 more;
//   4. `other` scalars, optionally preceded by one space U+0020: the maximal run, then every newline right after it;
//   5. a whitespace run that contains a newline: up to and including its last newline (`\s*` backs off to it);
//   6. another whitespace run: all of it at the end of the text, else all but its last scalar (`\s+(?!\S)`), and a
//      single scalar when that leaves nothing (`\s+`).
// Consequence used by parallel encoding: a piece never holds a non-whitespace scalar followed by a whitespace scalar
// other than a newline (only 4 lets newlines follow), and the pattern never looks behind, so the text can be cut
// before a non-newline whitespace scalar that follows a non-whitespace scalar without changing the pieces.
//
// Refuses nothing: the input is valid UTF-8 (it comes from a Swift String).

struct Llama3PreTokenizer: PieceSplitter {
    let classes = ScalarClasses()
    /// Most number scalars in one piece: 3 for Llama 3 (`\p{N}{1,3}`), 1 for Qwen2 (`\p{N}`).
    let digitsPerPiece: Int

    init(digitsPerPiece: Int) {
        precondition(digitsPerPiece >= 1, "a number piece holds at least one scalar")
        self.digitsPerPiece = digitsPerPiece
    }

    @inline(__always)
    static func isNewline(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0D }

    /// End of the contraction at `start` (where `p[start]` is `'`), or nil when there is none.
    @inline(__always)
    func contractionEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        guard start + 1 < end else { return nil }
        // `| 0x20` lowers an ASCII capital; only the capital and the letter itself give a lower-case letter.
        let b1 = p[start + 1] | 0x20
        if b1 == UInt8(ascii: "s") || b1 == UInt8(ascii: "t") || b1 == UInt8(ascii: "m") || b1 == UInt8(ascii: "d") {
            return start + 2
        }
        guard start + 2 < end else { return nil }
        if p[start + 1] == 0xC5, p[start + 2] == 0xBF { return start + 3 }  // ſ, UTF-8 C5 BF
        let b2 = p[start + 2] | 0x20
        if (b1 == UInt8(ascii: "r") || b1 == UInt8(ascii: "v")) && b2 == UInt8(ascii: "e")
            || b1 == UInt8(ascii: "l") && b2 == UInt8(ascii: "l") {
            return start + 3
        }
        return nil
    }

    @inline(__always)
    func pieceEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        let b0 = p[start]
        if b0 == UInt8(ascii: "'"), let contraction = contractionEnd(p, start, end) { return contraction }
        let (c0, l0) = classes.scalarClass(p, start)
        let next = start + l0
        if c0 == ScalarClass.letter { return classes.runEnd(p, next, end, ScalarClass.letter) }
        if c0 == ScalarClass.number {
            var j = next
            var digits = 1
            while digits < digitsPerPiece, j < end {
                let (c, l) = classes.scalarClass(p, j)
                if c != ScalarClass.number { break }
                j += l
                digits += 1
            }
            return j
        }
        // 2. One non-newline, non-letter, non-number scalar before letters.
        var c1 = ScalarClass.whitespace, l1 = 0
        if next < end {
            (c1, l1) = classes.scalarClass(p, next)
            if c1 == ScalarClass.letter, !Self.isNewline(b0) { return classes.runEnd(p, next + l1, end, ScalarClass.letter) }
        }
        // 4. ` ?[^\s\p{L}\p{N}]+[\r\n]*`.
        var j = -1
        if c0 == ScalarClass.other {
            j = classes.runEnd(p, next, end, ScalarClass.other)
        } else if b0 == UInt8(ascii: " "), next < end, c1 == ScalarClass.other {
            j = classes.runEnd(p, next + l1, end, ScalarClass.other)
        }
        if j >= 0 {
            while j < end, Self.isNewline(p[j]) { j += 1 }
            return j
        }
        // 5–6. A whitespace run: its end, the start of its last scalar, the end of its last newline.
        var last = start
        var newlineEnd = Self.isNewline(b0) ? next : -1
        j = next
        while j < end {
            let (c, l) = classes.scalarClass(p, j)
            if c != ScalarClass.whitespace { break }
            if Self.isNewline(p[j]) { newlineEnd = j + 1 }
            last = j
            j += l
        }
        if newlineEnd >= 0 { return newlineEnd }
        if j == end || last == start { return j }
        return last
    }

    /// Whether the text may be cut at byte offset `i` (0 < i < count) without changing any piece: the scalar at `i`
    /// is whitespace but not a newline, and the one before is not whitespace (see the header).
    func isSafeSplit(_ p: UnsafePointer<UInt8>, _ i: Int, _ count: Int) -> Bool {
        guard i > 0, i < count, p[i] & 0xC0 != 0x80, !Self.isNewline(p[i]) else { return false }
        guard classes.scalarClass(p, i).0 == ScalarClass.whitespace else { return false }
        return classes.scalarClass(p, classes.previousStart(p, i)).0 != ScalarClass.whitespace
    }
}
