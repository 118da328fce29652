// GPT2Tokenizer.swift — OpenAI's GPT-2 tokenizer (tiktoken's `gpt2` / `r50k_base`) from encoder.json + vocab.bpe.
//
// Gives exactly tiktoken's ids: GPT-2 pre-tokenization (GPT2PreTokenizer.swift), then per piece tiktoken's rules —
// a piece that is itself a token is that token; otherwise merge the adjacent pair whose concatenation has the
// lowest rank (rank = id), leftmost first (`PairRanking.vocabularyRank`). vocab.bpe is read and checked against
// encoder.json the way tiktoken checks it (merge n makes token 256 + n), but the ranks come from the ids.
// `<|endoftext|>` (50256) is the one special token: ordinary text by default, its id with `allowedSpecial`.
//
// Tested against tiktoken's counts and ids on tinyshakespeare (338,025 tokens) and on tricky strings.

import MnemoSupport
import Foundation

public struct GPT2Tokenizer: Tokenizer {
    let encoder: ByteLevelEncoder
    public let endOfText: Int?

    /// Loads `encoder.json` and `vocab.bpe` (OpenAI's names) from a folder, or `vocab.json` and `merges.txt` (the
    /// same two files as a Hugging Face GPT-2 folder names them) when the first pair is absent.
    public init(directory: String) throws {
        let folder = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let fm = FileManager.default
        if !fm.fileExists(atPath: folder + "/encoder.json"), fm.fileExists(atPath: folder + "/vocab.json"),
           fm.fileExists(atPath: folder + "/merges.txt") {
            try self.init(encoderJSON: folder + "/vocab.json", vocabBPE: folder + "/merges.txt")
        } else {
            try self.init(encoderJSON: folder + "/encoder.json", vocabBPE: folder + "/vocab.bpe")
        }
    }

    public init(encoderJSON: String, vocabBPE: String) throws {
        let hint = "use OpenAI's GPT-2 files (encodings/main/encoder.json and vocab.bpe), e.g. shared/data/gpt2"
        let json = try TokenizerFiles.readStringIntObject(encoderJSON, what: "GPT-2's encoder.json, a map from token to id", hint: hint)
        // Every entry of encoder.json: byte-level spelling → bytes. `<|endoftext|>` is spelled with printable ASCII,
        // so it decodes too; the special tokens are told apart below as the ids no merge makes.
        var entries: [(key: String, bytes: [UInt8]?, id: Int)] = []
        entries.reserveCapacity(json.count)
        var seen = Set<Int>()
        let idOfBytes = ByteStringMap(capacity: json.count)
        for (key, id) in json {
            guard id >= 0 else {
                throw TokenizerError.corrupt(encoderJSON, "the value of \(jsonQuoted(key)) is not a non-negative integer id", hint: hint)
            }
            guard seen.insert(id).inserted else {
                throw TokenizerError.corrupt(encoderJSON, "id \(id) is given to two tokens", hint: hint)
            }
            let bytes = ByteLevel.decode(key)
            if let bytes { idOfBytes.set(bytes, payload: UInt64(id)) }
            entries.append((key, bytes, id))
        }
        let byteTokens = entries.filter { $0.bytes?.count == 1 }.count
        guard byteTokens == 256, entries.allSatisfy({ $0.bytes?.count != 1 || $0.id < 256 }) else {
            throw TokenizerError.corrupt(encoderJSON, "ids 0...255 are not the 256 single bytes of a byte-level vocabulary", hint: hint)
        }

        let text = try TokenizerFiles.readText(vocabBPE, what: "GPT-2's vocab.bpe merge list", hint: hint)
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
        guard let first = lines.first, first.starts(with: "#version".utf8) else {
            throw TokenizerError.corrupt(vocabBPE, "line 1 is not a \"#version: ...\" header", hint: hint)
        }
        lines.removeFirst()
        var merges: [(left: [UInt8], right: [UInt8])] = []
        merges.reserveCapacity(lines.count)
        for (index, lineBytes) in lines.enumerated() where !lineBytes.isEmpty {
            let lineNumber = index + 2
            let line = String(Substring(lineBytes))
            let parts = lineBytes.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 2, let left = ByteLevel.decode(String(Substring(parts[0]))),
                  let right = ByteLevel.decode(String(Substring(parts[1]))), !left.isEmpty, !right.isEmpty else {
                throw TokenizerError.corrupt(vocabBPE, "line \(lineNumber): \"\(line)\" is not two byte-level tokens separated by one space", hint: hint)
            }
            guard let merged = idOfBytes.find(left + right).map({ Int($0) }) else {
                throw TokenizerError.corrupt(vocabBPE, "line \(lineNumber): merge \"\(line)\" makes a token that is not in encoder.json",
                                             hint: "the two files must come from the same tokenizer")
            }
            guard merged == byteTokens + merges.count else {
                throw TokenizerError.corrupt(vocabBPE, "line \(lineNumber): merge \"\(line)\" makes token \(merged), but tiktoken's ranks need \(byteTokens + merges.count) (merge n makes id 256 + n)",
                                             hint: "the two files must come from the same tokenizer")
            }
            merges.append((left, right))
        }

        // Ordinary tokens: the bytes and the merge results. The rest are special tokens (`<|endoftext|>`).
        let ordinaryLimit = byteTokens + merges.count
        var tokens: [(bytes: [UInt8], id: Int)] = []
        tokens.reserveCapacity(ordinaryLimit)
        var added: [AddedToken] = []
        var decodeBytes = [[UInt8]?](repeating: nil, count: (entries.map(\.id).max() ?? -1) + 1)
        for entry in entries {
            if entry.id < ordinaryLimit, let bytes = entry.bytes {
                tokens.append((bytes, entry.id))
                decodeBytes[entry.id] = bytes
            } else {
                added.append(AddedToken(content: entry.key, id: entry.id, special: true))
                decodeBytes[entry.id] = Array(entry.key.utf8)
            }
        }
        guard tokens.count == ordinaryLimit else {
            throw TokenizerError.corrupt(encoderJSON, "has \(tokens.count) ordinary tokens but vocab.bpe's \(merges.count) merges need \(ordinaryLimit)",
                                         hint: "the two files must come from the same tokenizer")
        }
        let model: BytePairModel
        do {
            model = try BytePairModel(tokens: tokens, merges: merges, ranking: .vocabularyRank, wholePieceLookup: true)
        } catch {
            throw TokenizerError.corrupt(vocabBPE, "\(error)", hint: hint)
        }
        encoder = ByteLevelEncoder(model: model, addedTokens: added.sorted { $0.id < $1.id }, addPrefixSpace: false,
                                   decodeBytes: decodeBytes)
        endOfText = added.first { $0.content == "<|endoftext|>" }?.id
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

    /// The bytes of one token (nil for ids outside the vocabulary).
    public func tokenBytes(_ id: Int) -> [UInt8]? { encoder.bytes(of: id) }
}
