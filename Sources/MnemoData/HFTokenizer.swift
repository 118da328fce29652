// HFTokenizer.swift — a Hugging Face `tokenizers` tokenizer.json with a byte-level BPE model: GPT-2 style (MiniMind,
// the tokenizers BPETrainer.swift writes, RoBERTa-like files), Llama 3.x and Qwen2 / 2.5 / 3.
//
// Supported, and giving the ids of `Tokenizer.from_file(path).encode(text, add_special_tokens=False)`:
//   - model: BPE with vocab + merges (merges as "a b" strings or ["a", "b"] pairs), `ignore_merges` (Llama 3: a
//     piece that is itself in the vocabulary is that one id, merges or not), `unk_token` and `fuse_unk`; dropout
//     null or 0.
//   - pre_tokenizer: ByteLevel with use_regex (the GPT-2 pattern) and `add_prefix_space`; or a Sequence of a Split
//     (behavior Isolated, not inverted) whose Regex is exactly one of SplitPattern.swift's (GPT-2, Llama 3, Qwen2)
//     and a ByteLevel with use_regex false and add_prefix_space false (Llama 3's and Qwen2's layout).
//   - normalizer: none, or NFC (Qwen2's; alone or in a Sequence).
//   - decoder: ByteLevel. post_processor: ignored here (it only adds tokens for add_special_tokens=True, which
//     `encode` never does; PromptPrefix.swift reads Llama 3's <|begin_of_text|> from it).
//   - added_tokens: matched in the raw text before normalization and pre-tokenization (leftmost, longest), with
//     lstrip / rstrip.
// Anything else (other normalizers, other pre-tokenizers or Split patterns, a ByteLevel after a Split with
// use_regex or add_prefix_space, continuing_subword_prefix, byte_fallback, single_word added tokens, added tokens
// matched after NFC) is refused with an `unsupported` error naming it rather than encoded differently.
//
// Like Hugging Face, `encode(_:allowedSpecial: .all)` matches every added token, special or not; `encode(_:)`
// (ordinary text) matches none. `decode` keeps special tokens (Hugging Face's skip_special_tokens=False), so that
// decode(encode(text)) == text (for NFC text when the file normalizes). `endOfText` is the id of the added token
// `<|endoftext|>` (GPT-2, MiniMind, Qwen2), else of `<|end_of_text|>` (Llama 3), if there is one.

import MnemoSupport
import Foundation

public struct HFTokenizer: Tokenizer {
    let encoder: ByteLevelEncoder
    public let endOfText: Int?
    /// The file's added tokens, in id order.
    public var addedTokens: [AddedToken] { encoder.addedTokens }

    /// The pre-tokenization pattern the file uses.
    public var splitPattern: SplitPattern { encoder.pattern }
    /// Whether the file's normalizer is NFC.
    public var normalizesNFC: Bool { encoder.normalizesNFC }

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
                           hint: "supported: byte-level BPE (GPT-2, Llama 3, Qwen2: ByteLevel decoder, their pre-tokenizer patterns) and SentencePiece-style BPE (Llama-2 style: ▁, byte fallback)")
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
        var normalizesNFC = false
        if let normalizer = json["normalizer"], !normalizer.isNull {
            let isSequence = normalizer["type"]?.string == "Sequence"
            guard let steps = isSequence ? normalizer["normalizers"]?.array : [normalizer] else {
                throw unsupported("the normalizer Sequence has no list of normalizers")
            }
            for step in steps where step["type"]?.string != "NFC" {
                throw unsupported("has a normalizer (\(Self.typeName(step))); only NFC is supported")
            }
            normalizesNFC = !steps.isEmpty
        }
        let (pattern, addPrefixSpace) = try Self.preTokenizer(json["pre_tokenizer"], unsupported: unsupported)
        guard let decoder = json["decoder"], Self.isByteLevel(decoder) else {
            throw unsupported("the decoder is \(Self.typeName(json["decoder"])), not ByteLevel")
        }

        // Added tokens.
        let added = try TokenizerFiles.addedTokens(json, corrupt: corrupt, unsupported: unsupported,
                                                  normalizerApplies: normalizesNFC)

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
        encoder = ByteLevelEncoder(model: bpe, addedTokens: added, addPrefixSpace: addPrefixSpace, decodeBytes: decodeBytes,
                                   pattern: pattern, normalizesNFC: normalizesNFC)
        endOfText = (added.first { $0.content == "<|endoftext|>" } ?? added.first { $0.content == "<|end_of_text|>" })?.id
    }

    /// Checks the pre-tokenizer and returns its pattern and add_prefix_space.
    private static func preTokenizer(_ value: JSONValue?, unsupported: (String) -> TokenizerError) throws
        -> (pattern: SplitPattern, addPrefixSpace: Bool) {
        guard let object = value, case .object = object else {
            throw unsupported("the pre_tokenizer is \(typeName(value)), not ByteLevel")
        }
        if isByteLevel(object) {
            guard object["use_regex"]?.bool ?? true else {
                throw unsupported("the ByteLevel pre_tokenizer has use_regex: false and no Split before it")
            }
            return (.gpt2, object["add_prefix_space"]?.bool ?? false)
        }
        guard object["type"]?.string == "Sequence", let steps = object["pretokenizers"]?.array,
              steps.allSatisfy({ $0.object != nil }) else {
            throw unsupported("the pre_tokenizer is \(typeName(value)), not ByteLevel")
        }
        if steps.count == 1 { return try preTokenizer(steps[0], unsupported: unsupported) }
        guard steps.count == 2, steps[0]["type"]?.string == "Split", isByteLevel(steps[1]) else {
            throw unsupported("the pre_tokenizer Sequence is [\(steps.map { typeName($0) }.joined(separator: ", "))], "
                              + "not [ByteLevel] or [Split, ByteLevel]")
        }
        let split = steps[0], byteLevel = steps[1]
        guard let regex = split["pattern"]?["Regex"]?.string else {
            throw unsupported("the Split pre-tokenizer's pattern is \(split["pattern"]?.text() ?? "missing"), not a Regex")
        }
        guard let pattern = SplitPattern(regex: regex) else {
            throw unsupported("the Split pre-tokenizer's regex \(jsonQuoted(regex)) is not one Mnemo implements "
                              + "(exactly GPT-2's, Llama 3's or Qwen2's)")
        }
        let behavior = split["behavior"]?.string ?? "missing"
        guard behavior == "Isolated" else { throw unsupported("the Split pre-tokenizer's behavior is \(behavior), not Isolated") }
        guard split["invert"]?.bool != true else { throw unsupported("the Split pre-tokenizer is inverted (invert: true)") }
        guard byteLevel["use_regex"]?.bool == false else {
            throw unsupported("the ByteLevel after the Split has use_regex: true (it would cut every piece again)")
        }
        guard byteLevel["add_prefix_space"]?.bool != true else {
            throw unsupported("the ByteLevel after the Split has add_prefix_space: true (a space before every piece)")
        }
        return (pattern, false)
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
