// TokenizerFiles.swift — reading and writing tokenizer files with errors that name the file and say what to do.

import Foundation
import MnemoSupport

enum TokenizerFiles {
    /// The bytes of `path`, or a TokenizerError saying it is missing (with `what` it should be) or unreadable.
    static func read(_ path: String, what: String, hint: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokenizerError.missing(path, what: what, hint: hint)
        }
        if isDirectory.boolValue {
            throw TokenizerError(.io, file: path, "is a folder, not a file (expected \(what))", hint: hint)
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TokenizerError(.io, file: path, "cannot be read (\(error.localizedDescription))")
        }
    }

    /// The text of `path` as UTF-8.
    static func readText(_ path: String, what: String, hint: String) throws -> String {
        let data = try read(path, what: what, hint: hint)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.corrupt(path, "is not valid UTF-8 text (expected \(what))", hint: hint)
        }
        return text
    }

    /// The JSON of a tokenizer file, checked to be an object. Read strictly (RFC 8259, JSONParser's `.strict`): these
    /// files are written by Hugging Face tokenizers (Rust's serde_json) or by Mnemo, neither of which writes NaN,
    /// Infinity or duplicate keys, so such a file has been edited by hand and is refused with the place to fix.
    static func readJSON(_ path: String, what: String, hint: String) throws -> JSONValue {
        let bytes = [UInt8](try read(path, what: what, hint: hint))
        let json: JSONValue
        do {
            json = try JSONParser.parseFile(bytes, options: .strict)
        } catch {
            throw TokenizerError.corrupt(path, error.message, hint: hint)
        }
        guard case .object = json else {
            throw TokenizerError.corrupt(path, "the top level is \(json.kindName), not a JSON object (expected \(what))", hint: hint)
        }
        return json
    }

    /// A JSON object whose values are all integers (`{"token": id, ...}`, GPT-2's encoder.json), parsed directly:
    /// about 20 times faster than JSONSerialization on the 1 MB file. Entries are returned in file order.
    static func readStringIntObject(_ path: String, what: String, hint: String) throws -> [(key: String, value: Int)] {
        let data = try read(path, what: what, hint: hint)
        return try data.withUnsafeBytes { raw -> [(key: String, value: Int)] in
            let p = raw.bindMemory(to: UInt8.self)
            var i = 0
            let n = p.count
            func fail(_ message: String) -> TokenizerError {
                TokenizerError.corrupt(path, "at byte offset \(i): \(message) (expected \(what))", hint: hint)
            }
            func skipSpace() {
                while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
            }
            func hex4() throws -> UInt32 {
                guard i + 4 <= n else { throw fail("truncated \\u escape") }
                var value: UInt32 = 0
                for _ in 0..<4 {
                    let c = p[i]
                    let digit: UInt32
                    switch c {
                    case 0x30...0x39: digit = UInt32(c - 0x30)
                    case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
                    case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
                    default: throw fail("bad \\u escape")
                    }
                    value = value << 4 | digit
                    i += 1
                }
                return value
            }
            func string() throws -> String {
                guard i < n, p[i] == 0x22 else { throw fail("a string should start here") }
                i += 1
                var bytes: [UInt8] = []
                while true {
                    guard i < n else { throw fail("unterminated string") }
                    let c = p[i]
                    i += 1
                    if c == 0x22 { break }
                    if c != 0x5C { bytes.append(c); continue }
                    guard i < n else { throw fail("unterminated escape") }
                    let e = p[i]
                    i += 1
                    switch e {
                    case 0x22, 0x5C, 0x2F: bytes.append(e)
                    case 0x62: bytes.append(0x08)
                    case 0x66: bytes.append(0x0C)
                    case 0x6E: bytes.append(0x0A)
                    case 0x72: bytes.append(0x0D)
                    case 0x74: bytes.append(0x09)
                    case 0x75:
                        var value = try hex4()
                        if (0xD800..<0xDC00).contains(value), i + 6 <= n, p[i] == 0x5C, p[i + 1] == 0x75 {
                            i += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(value) else { throw fail("unpaired surrogate") }
                        bytes += Array(String(Character(scalar)).utf8)
                    default: throw fail("bad escape")
                    }
                }
                guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return text
            }
            func integer() throws -> Int {
                let start = i
                if i < n, p[i] == 0x2D { i += 1 }
                while i < n, p[i] >= 0x30, p[i] <= 0x39 { i += 1 }
                guard i > start, i - start < 19,
                      let value = Int(String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)) else {
                    throw fail("an integer should be here")
                }
                return value
            }
            var entries: [(key: String, value: Int)] = []
            skipSpace()
            guard i < n, p[i] == 0x7B else { throw fail("the file should start with a JSON object") }
            i += 1
            skipSpace()
            if i < n, p[i] == 0x7D { return entries }
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                guard i < n, p[i] == 0x3A else { throw fail("':' should follow a key") }
                i += 1
                skipSpace()
                entries.append((key, try integer()))
                skipSpace()
                guard i < n else { throw fail("unterminated object") }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x7D { i += 1; break }
                throw fail("',' or '}' should follow a value")
            }
            skipSpace()
            guard i == n else { throw fail("extra data after the object") }
            return entries
        }
    }

    /// Writes `data` to `path` atomically and durably (AtomicFile), creating the parent folder.
    static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw TokenizerError(.io, file: path, "cannot be written (\(error.localizedDescription))",
                                 hint: "check that the folder exists and is writable")
        }
        do { try AtomicFile.write(data, to: path) } catch {
            throw TokenizerError(.io, file: path, "cannot be written (\(error.message))",
                                 hint: error.hint ?? "check that the folder exists and is writable")
        }
    }


    /// A Hugging Face tokenizer.json's BPE model section, checked as every loader needs it: a BPE with a vocab object
    /// and a merge list, no dropout, no continuing-subword prefix or end-of-word suffix.
    static func bpeModel(_ json: JSONValue, corrupt: (String) -> TokenizerError, unsupported: (String) -> TokenizerError)
        throws -> (model: JSONValue, vocabulary: [JSONMember], merges: [JSONValue]) {
        guard let model = json["model"], case .object = model else { throw corrupt("has no \"model\" object") }
        let type = model["type"]?.string ?? "BPE"
        guard type == "BPE" else { throw unsupported("model type \"\(type)\" is not BPE") }
        guard let vocabulary = model["vocab"]?.object else { throw corrupt("model.vocab is not an object of token → id") }
        guard let merges = model["merges"]?.array else { throw corrupt("model.merges is not a list") }
        if let dropout = model["dropout"], !dropout.isNull, dropout.double ?? 1 != 0 {
            throw unsupported("model.dropout is \(dropout.text()); BPE dropout makes encoding random")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key], !value.isNull, value.string ?? "x" != "" {
                throw unsupported("model.\(key) is set (\(value.text()))")
            }
        }
        return (model, vocabulary, merges)
    }

    /// A tokenizer.json's added_tokens in id order. `single_word` matching is refused, and `normalized` matching
    /// too when the file has a normalizer (`normalizerApplies`): neither is implemented by SpecialTokenMatcher.
    static func addedTokens(_ json: JSONValue, corrupt: (String) -> TokenizerError, unsupported: (String) -> TokenizerError,
                            normalizerApplies: Bool) throws -> [AddedToken] {
        var added: [AddedToken] = []
        for (index, entry) in (json["added_tokens"]?.array ?? []).enumerated() {
            guard let content = entry["content"]?.string, let id = entry["id"]?.int, id >= 0 else {
                throw corrupt("added_tokens[\(index)] is not an object with a string \"content\" and an integer \"id\"")
            }
            if entry["single_word"]?.bool == true {
                throw unsupported("added token \(jsonQuoted(content)) has single_word: true")
            }
            if normalizerApplies, entry["normalized"]?.bool == true {
                throw unsupported("added token \(jsonQuoted(content)) is matched after normalization (normalized: true)")
            }
            added.append(AddedToken(content: content, id: id, special: entry["special"]?.bool ?? false,
                                    lstrip: entry["lstrip"]?.bool ?? false, rstrip: entry["rstrip"]?.bool ?? false))
        }
        return added.sorted { $0.id < $1.id }
    }
}
