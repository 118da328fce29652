// UTF8Validation.swift — where bytes stop being well-formed UTF-8, for every reader that checks text before trusting it
// (safetensors headers, JSON files).

/// The offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode table 3-7: no
/// overlong forms, no surrogates, nothing above U+10FFFF), or nil when all are valid. Hand-written rather than
/// the standard library's generic parser, which is 30 times slower in debug builds.
public func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var i = 0
    let count = bytes.count
    while i < count {
        let lead = bytes[i]
        if lead < 0x80 {
            i += 1
            continue
        }
        let length: Int
        var low: UInt8 = 0x80  // the allowed range of the second byte
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return i
        }
        guard i + length <= count, bytes[i + 1] >= low, bytes[i + 1] <= high else { return i }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
        i += length
    }
    return nil
}
