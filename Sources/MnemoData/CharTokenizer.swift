// CharTokenizer.swift — nanoGPT's character-level tokenizer (data/shakespeare_char/prepare.py).
//
// The vocabulary is the sorted set of the corpus's characters, where a character is a Unicode scalar (a Python
// str element; "\r\n" is two) and sorting is by scalar value (Python's sorted(set(data))); id = position. For
// tinyshakespeare that is 65 characters, "\n" = 0, " " = 1, ... "z" = 64.
//
// Saved as JSON: {"type": "char", "chars": ["\n", " ", "!", ...]} (ids are positions in "chars").
//
// Text with a character that is not in the vocabulary: `encodeChecked(_:)` throws a TokenizerError naming the
// character and its position; `encode(_:)` (the non-throwing protocol method) stops the program with the same
// message, as an op given an impossible input does. Call `encodeChecked` on text you did not build the vocabulary
// from. There is no end-of-text id.

import MnemoSupport
import Dispatch
import Foundation

public struct CharTokenizer: Tokenizer {
    /// The vocabulary: id = position.
    public let characters: [Unicode.Scalar]
    /// id + 1 of each scalar below 0x800 (0: not in the vocabulary); others in `idOfWideScalar`.
    private let idOfSmallScalar: [Int32]
    private let idOfWideScalar: [UInt32: Int]

    /// The vocabulary of a corpus: its distinct characters sorted by scalar value.
    public init(corpus: String) {
        var seen = Set<UInt32>()
        for scalar in corpus.unicodeScalars { seen.insert(scalar.value) }
        try! self.init(characters: seen.sorted().map { Unicode.Scalar($0)! })
    }

    /// A given vocabulary (ids are positions). Throws if a character appears twice.
    public init(characters: [Unicode.Scalar]) throws {
        var small = [Int32](repeating: 0, count: 0x800)
        var wide: [UInt32: Int] = [:]
        for (id, scalar) in characters.enumerated() {
            let value = scalar.value
            let duplicate = value < 0x800 ? small[Int(value)] != 0 : wide[value] != nil
            if duplicate {
                throw TokenizerError(.invalidArgument, "character \(describe(scalar)) appears twice in the vocabulary")
            }
            if value < 0x800 { small[Int(value)] = Int32(id + 1) } else { wide[value] = id }
        }
        self.characters = characters
        idOfSmallScalar = small
        idOfWideScalar = wide
    }

    /// Loads `{"type": "char", "chars": [...]}`.
    public init(path: String) throws {
        let hint = "write it with `mnemo tokenizer train --char` or CharTokenizer.save(to:)"
        let json = try TokenizerFiles.readJSON(path, what: "a character tokenizer {\"type\": \"char\", \"chars\": [...]}", hint: hint)
        if json["model"] != nil {
            throw TokenizerError.corrupt(path, "is a Hugging Face tokenizer.json, not a character vocabulary",
                                         hint: "load it as a Hugging Face tokenizer (--hf / TokenizerSpec.huggingFace)")
        }
        guard json["type"]?.string == "char" else {
            throw TokenizerError.corrupt(path, "\"type\" is \(json["type"]?.text() ?? "missing"), not \"char\"", hint: hint)
        }
        guard let list = json["chars"]?.array else {
            throw TokenizerError.corrupt(path, "\"chars\" is not a list of one-character strings", hint: hint)
        }
        var characters: [Unicode.Scalar] = []
        for (index, item) in list.enumerated() {
            guard let text = item.string, text.unicodeScalars.count == 1 else {
                throw TokenizerError.corrupt(path, "chars[\(index)] is not a string of exactly one character", hint: hint)
            }
            characters.append(text.unicodeScalars.first!)
        }
        do {
            try self.init(characters: characters)
        } catch let error as TokenizerError {
            throw TokenizerError.corrupt(path, error.message, hint: hint)
        }
    }

    /// Writes the vocabulary as JSON.
    public func save(to path: String) throws {
        let list = characters.map { jsonQuoted(String(Character($0))) }.joined(separator: ", ")
        try TokenizerFiles.write(Data("{\"type\": \"char\", \"chars\": [\(list)]}\n".utf8), to: path)
    }

    public var vocabularySize: Int { characters.count }
    public var endOfText: Int? { nil }

    @inline(__always)
    private func id(of scalar: Unicode.Scalar) -> Int? {
        let value = scalar.value
        if value < 0x800 {
            let stored = idOfSmallScalar[Int(value)]
            return stored == 0 ? nil : Int(stored - 1)
        }
        return idOfWideScalar[value]
    }

    /// Ids of `text`; throws `.unknownCharacter` for the first character that is not in the vocabulary.
    public func encodeChecked(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count)
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            guard let id = id(of: scalar) else {
                throw TokenizerError(.unknownCharacter, "character \(describe(scalar)) at position \(offset) is not in the vocabulary of \(characters.count) characters",
                                     hint: "build the vocabulary from text that has it (CharTokenizer(corpus:)), or remove it")
            }
            ids.append(id)
        }
        return ids
    }

    /// Ids of `text`. Stops the program if a character is not in the vocabulary (see the header).
    public func encode(_ text: String) -> [Int] {
        do {
            return try encodeChecked(text)
        } catch {
            fatalError("CharTokenizer.encode: \(error) (encodeChecked throws instead)")
        }
    }

    public func encodeConcurrently(_ text: String, allowedSpecial: SpecialTokenPolicy, threads: Int) -> [Int] {
        let scalars = Array(text.unicodeScalars)
        let workers = max(1, min(threads, scalars.count / (1 << 16)))
        if workers == 1 { return encode(text) }
        // Any cut between characters is safe: each character is one id.
        let tokenizer = self
        return runConcurrently(count: scalars.count, threads: workers) { range in
            range.map { index -> Int in
                guard let id = tokenizer.id(of: scalars[index]) else { return tokenizer.encode(String(Character(scalars[index]))).first! }
                return id
            }
        }
    }

    /// Text of ids; ids outside the vocabulary become U+FFFD.
    public func decode(_ ids: [Int]) -> String {
        var text = String.UnicodeScalarView()
        for id in ids {
            text.append(id >= 0 && id < characters.count ? characters[id] : "\u{FFFD}")
        }
        return String(text)
    }
}
