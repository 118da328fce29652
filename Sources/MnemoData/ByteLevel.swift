// ByteLevel.swift — GPT-2's reversible byte ↔ printable-character table (`bytes_to_unicode` in GPT-2's encoder.py).
//
// Byte-level BPE files (GPT-2's encoder.json / vocab.bpe, Hugging Face ByteLevel tokenizer.json) write every
// token as a string of these characters: the printable bytes `!`…`~`, `¡`…`¬`, `®`…`ÿ` stand for themselves,
// the 68 others (controls, space, DEL, NBSP, soft hyphen) are shifted to U+0100…U+0143 in byte order, so that
// a space is `Ġ` (U+0120) and a newline `Ċ` (U+010A). Everything inside the tokenizers works on raw bytes; this
// table is used only when reading and writing those files.

public enum ByteLevel {
    /// The character that stands for each byte (index = byte value).
    public static let characterOfByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var shifted: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(shifted)!
                shifted += 1
            }
        }
        return table
    }()

    /// The byte each character U+0000…U+0143 stands for (-1: none). Characters above U+0143 stand for no byte.
    static let byteOfCharacter: [Int16] = {
        var inverse = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in characterOfByte.enumerated() { inverse[Int(scalar.value)] = Int16(byte) }
        return inverse
    }()

    /// The printable form of raw bytes (`" hello"` → `"Ġhello"`).
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(characterOfByte[Int(byte)]) }
        return String(text)
    }

    /// The raw bytes of a printable form, or nil if `text` has a character outside the table.
    public static func decode(_ text: String) -> [UInt8]? {
        let table = byteOfCharacter
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            guard value < table.count, table[value] >= 0 else { return nil }
            bytes.append(UInt8(table[value]))
        }
        return bytes
    }
}
