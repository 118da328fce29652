// ScalarClass.swift — the four character classes the pre-tokenization patterns are written in, and reading them
// from UTF-8 bytes.
//
// Every scalar falls in one class: letter (\p{L}: general categories Lu Ll Lt Lm Lo), number (\p{N}: Nd Nl No),
// whitespace (\s: the Unicode White_Space property, as in Rust's regex and Oniguruma) or other. The categories come
// from the Swift runtime's Unicode tables, which may be newer than the regex engine's: a scalar assigned in a
// Unicode version after `referenceUnicodeMajor` is `other`, as an unassigned scalar is to Hugging Face tokenizers
// 0.23.3 (Oniguruma, Unicode 16.0) and tiktoken (Rust regex, Unicode 16.0 or older). With that rule the class of
// every scalar U+0000…U+10FFFF equals the one tokenizers 0.23.3 gives (a test checks all of them against
// Fixtures/hf_pretokenizers/scalar_classes.txt, written by scripts/check_hf_pretokenizers.py). A Swift runtime with
// tables older than 16.0 would see letters added since as `other`; that is not corrected.
//
// Refuses nothing: callers hand valid UTF-8 (from a Swift String) with `i` on a scalar start.

/// Scalar classes of the patterns, as small integers (the tables store them as bytes).
enum ScalarClass {
    static let other: UInt8 = 0, letter: UInt8 = 1, number: UInt8 = 2, whitespace: UInt8 = 3

    /// The newest Unicode major version whose letters and numbers the reference regex engines know.
    static let referenceUnicodeMajor = 16

    static func of(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        if properties.isWhitespace { return whitespace }
        let cls: UInt8
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: cls = letter
        case .decimalNumber, .letterNumber, .otherNumber: cls = number
        default: return other
        }
        guard let age = properties.age, age.major <= referenceUnicodeMajor else { return other }
        return cls
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

/// Reads classes from UTF-8. A value type holding the class table, so the hot loops read no globals.
struct ScalarClasses {
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

    /// Start of the scalar that ends just before byte `i` (0 < i).
    @inline(__always)
    func previousStart(_ p: UnsafePointer<UInt8>, _ i: Int) -> Int {
        var start = i - 1
        while start > 0, p[start] & 0xC0 == 0x80 { start -= 1 }
        return start
    }
}
