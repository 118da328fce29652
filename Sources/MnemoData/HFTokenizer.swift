// HFTokenizer.swift — a Hugging Face `tokenizers` tokenizer.json with a byte-level BPE model (GPT-2 style:
// MiniMind, the tokenizers BPETrainer.swift writes, RoBERTa-like files).
//
// Supported, and giving the ids of `Tokenizer.from_file(path).encode(text, add_special_tokens=False)`:
//   - model: BPE with vocab + merges (merges as "a b" strings or ["a", "b"] pairs), `ignore_merges`, `unk_token`
//     and `fuse_unk`; dropout null or 0.
//   - pre_tokenizer: ByteLevel with use_regex (the GPT-2 pattern) and `add_prefix_space`; or a Sequence of a
//     Split with exactly the GPT-2 pattern (Isolated) and a ByteLevel without regex, which is the same thing.
//   - decoder: ByteLevel. normalizer: none. post_processor: ignored (it only adds tokens for
//     add_special_tokens=True, which `encode` never does).
//   - added_tokens: matched in the raw text before pre-tokenization (leftmost, longest), with lstrip / rstrip.
// Anything else (normalizers, other pre-tokenizers or patterns, continuing_subword_prefix, byte_fallback,
// single_word added tokens) is refused with an `unsupported` error rather than encoded differently.
//
// Like Hugging Face, `encode(_:allowedSpecial: .all)` matches every added token, special or not; `encode(_:)`
// (ordinary text) matches none. `decode` keeps special tokens (Hugging Face's skip_special_tokens=False), so that
// decode(encode(text)) == text. `endOfText` is the id of the added token `<|endoftext|>`, if there is one.

import MnemoSupport
import Foundation

public struct HFTokenizer: Tokenizer {
    let encoder: ByteLevelEncoder
    public let endOfText: Int?
    /// The file's added tokens, in id order.
    public var addedTokens: [AddedToken] { encoder.addedTokens }

    /// The GPT-2 pattern as Hugging Face files spell it.
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    public init(path: String) throws {
        let hint = "give a Hugging Face tokenizer.json of a byte-level BPE (e.g. shared/data/minimind/tokenizer.json)"
        let json = try TokenizerFiles.readJSON(path, what: "a Hugging Face tokenizer.json", hint: hint)
        try self.init(json: json, file: path)
    }

    init(json: JSONValue, file: String) throws {
        func corrupt(_ message: String) -> TokenizerError {
            TokenizerError.corrupt(file, message, hint: "the file should be written by Hugging Face tokenizers (Tokenizer.save)")
        }
        func unsupported(_ message: String) -> TokenizerError {
            TokenizerError(.unsupported, file: file, message,
                           hint: "supported: byte-level BPE (GPT-2 style: ByteLevel pre-tokenizer and decoder) and SentencePiece-style BPE (Llama-2 style: ▁, byte fallback)")
        }

        if json["type"]?.string == "char" {
            throw TokenizerError.corrupt(file, "is a character vocabulary, not a Hugging Face tokenizer.json",
                                         hint: "load it as a character tokenizer (--char / TokenizerSpec.char)")
        }
        // The model.
        let (model, vocabulary, mergeList) = try TokenizerFiles.bpeModel(json, corrupt: corrupt, unsupported: unsupported)
        if model["byte_fallback"]?.bool == true { throw unsupported("model.byte_fallback is true") }
        let ignoreMerges = model["ignore_merges"]?.bool ?? false
        let fuseUnknown = model["fuse_unk"]?.bool ?? false

        // Normalizer, pre-tokenizer, decoder.
        if let normalizer = json["normalizer"], !normalizer.isNull {
            let steps = normalizer["type"]?.string == "Sequence" ? normalizer["normalizers"]?.array : nil
            if steps?.isEmpty != true { throw unsupported("has a normalizer (\(Self.typeName(normalizer)))") }
        }
        let addPrefixSpace = try Self.byteLevelPreTokenizer(json["pre_tokenizer"], unsupported: unsupported)
        guard let decoder = json["decoder"], Self.isByteLevel(decoder) else {
            throw unsupported("the decoder is \(Self.typeName(json["decoder"])), not ByteLevel")
        }

        // Added tokens.
        let added = try TokenizerFiles.addedTokens(json, corrupt: corrupt, unsupported: unsupported, normalizerApplies: false)

        // Vocabulary: byte-level strings → bytes. Every id decodes as Hugging Face's ByteLevel decoder does: the
        // bytes of its characters, or its UTF-8 text when a character is outside the byte-level table.
        var tokens: [(bytes: [UInt8], id: Int)] = []
        tokens.reserveCapacity(vocabulary.count)
        var decodeBytes: [[UInt8]?] = []
        var stringOfId: [Int: String] = [:]
        func setDecode(_ id: Int, _ text: String) {
            if id >= decodeBytes.count { decodeBytes += [[UInt8]?](repeating: nil, count: id + 1 - decodeBytes.count) }
            decodeBytes[id] = ByteLevel.decode(text) ?? Array(text.utf8)
        }
        for entry in vocabulary {
            let token = entry.key
            guard let id = entry.value.int, id >= 0 else {
                throw corrupt("model.vocab[\(jsonQuoted(token))] is not a non-negative integer id")
            }
            if let other = stringOfId[id] {
                throw corrupt("model.vocab gives id \(id) to both \(jsonQuoted(other)) and \(jsonQuoted(token))")
            }
            stringOfId[id] = token
            if let bytes = ByteLevel.decode(token) { tokens.append((bytes, id)) }
            setDecode(id, token)
        }
        for token in added where stringOfId[token.id] == nil { setDecode(token.id, token.content) }

        // Merges.
        var merges: [(left: [UInt8], right: [UInt8])] = []
        merges.reserveCapacity(mergeList.count)
        for (index, entry) in mergeList.enumerated() {
            let parts: [String]
            if let pair = entry.array, pair.count == 2, let a = pair[0].string, let b = pair[1].string {
                parts = [a, b]
            } else if let line = entry.string {
                parts = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                parts = []
            }
            guard parts.count == 2 else { throw corrupt("model.merges[\(index)] is not two tokens (\"a b\" or [\"a\", \"b\"])") }
            guard let left = ByteLevel.decode(parts[0]), let right = ByteLevel.decode(parts[1]) else {
                throw unsupported("model.merges[\(index)] (\(parts[0]) \(parts[1])) has characters outside the byte-level alphabet")
            }
            merges.append((left, right))
        }

        var unknownId: Int?
        if let unknown = model["unk_token"]?.string {
            guard let id = vocabulary.last(where: { $0.key == unknown })?.value.int else {
                throw corrupt("model.unk_token \(jsonQuoted(unknown)) is not in model.vocab")
            }
            unknownId = id
        }
        let bpe: BytePairModel
        do {
            bpe = try BytePairModel(tokens: tokens, merges: merges, ranking: .mergeList, wholePieceLookup: ignoreMerges,
                                    unknownId: unknownId, fuseUnknown: fuseUnknown)
        } catch {
            throw corrupt("model: \(error)")
        }
        encoder = ByteLevelEncoder(model: bpe, addedTokens: added, addPrefixSpace: addPrefixSpace, decodeBytes: decodeBytes)
        endOfText = added.first { $0.content == "<|endoftext|>" }?.id
    }

    /// Checks the pre-tokenizer and returns its add_prefix_space.
    private static func byteLevelPreTokenizer(_ value: JSONValue?, unsupported: (String) -> TokenizerError) throws -> Bool {
        guard let object = value, case .object = object else {
            throw unsupported("the pre_tokenizer is \(typeName(value)), not ByteLevel")
        }
        if isByteLevel(object) {
            guard object["use_regex"]?.bool ?? true else {
                throw unsupported("the ByteLevel pre_tokenizer has use_regex: false and no GPT-2 Split before it")
            }
            return object["add_prefix_space"]?.bool ?? false
        }
        if object["type"]?.string == "Sequence", let steps = object["pretokenizers"]?.array, steps.allSatisfy({ $0.object != nil }) {
            if steps.count == 1 { return try byteLevelPreTokenizer(steps[0], unsupported: unsupported) }
            if steps.count == 2, steps[0]["type"]?.string == "Split", isByteLevel(steps[1]),
               let pattern = steps[0]["pattern"], pattern.object != nil,
               pattern["Regex"]?.string == gpt2Pattern || pattern["String"]?.string == gpt2Pattern,
               steps[0]["behavior"]?.string == "Isolated", steps[0]["invert"]?.bool != true,
               steps[1]["use_regex"]?.bool == false {
                return steps[1]["add_prefix_space"]?.bool ?? false
            }
            throw unsupported("the pre_tokenizer Sequence is not [ByteLevel] or [Split(GPT-2 pattern), ByteLevel]")
        }
        throw unsupported("the pre_tokenizer is \(typeName(value)), not ByteLevel")
    }

    /// Whether a decoder or pre-tokenizer object is ByteLevel (alone, or the one step of a Sequence).
    static func isByteLevel(_ object: JSONValue) -> Bool {
        if object["type"]?.string == "ByteLevel" { return true }
        if object["type"]?.string == "Sequence", let steps = object["decoders"]?.array, steps.count == 1,
           steps[0].object != nil {
            return isByteLevel(steps[0])
        }
        return false
    }

    private static func typeName(_ value: JSONValue?) -> String {
        guard let value, !value.isNull else { return "null" }
        if let type = value["type"]?.string { return type }
        return "not an object"
    }

    public var vocabularySize: Int { encoder.vocabularySize }
    public var specialTokens: [String: Int] { encoder.specialTokens }

    public func encode(_ text: String) -> [Int] { encoder.encode(text, allowedSpecial: .none) }

    public func encode(_ text: String, allowedSpecial: SpecialTokenPolicy) -> [Int] {
        encoder.encode(text, allowedSpecial: allowedSpecial)
    }

    public func encodeConcurrently(_ text: String, allowedSpecial: SpecialTokenPolicy, threads: Int) -> [Int] {
        encoder.encodeConcurrently(text, allowedSpecial: allowedSpecial, threads: threads)
    }

    public func encodeBatch(_ texts: [String], allowedSpecial: SpecialTokenPolicy, threads: Int) -> [[Int]] {
        encoder.encodeBatch(texts, allowedSpecial: allowedSpecial, threads: threads)
    }

    public func decode(_ ids: [Int]) -> String { encoder.decode(ids) }

    /// The id of a token or added token string (byte-level spelling for tokens: "Ġthe").
    public func id(of token: String) -> Int? {
        if let id = encoder.specialTokens[token] { return id }
        guard let bytes = ByteLevel.decode(token), let id = encoder.model.vocabulary.find(bytes) else { return nil }
        return Int(id)
    }
}
