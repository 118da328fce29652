// BPETrainer.swift — trains a byte-level BPE tokenizer on a corpus and writes it as a Hugging Face tokenizer.json.
//
// The vocabulary: the 256 bytes first (id = byte value), then one token per merge, then the special tokens
// ("<|endoftext|>" by default). Training:
//   1. Cut the text at special tokens (they are never merged into anything), pre-tokenize each stretch with
//      GPT-2's pattern, and count each distinct piece once (a "word" with its frequency).
//   2. Count every adjacent pair of symbols over the words, weighted by frequency, and remember which words hold
//      each pair.
//   3. Repeatedly merge the pair with the highest count — on a tie, the pair whose (left bytes, right bytes) is
//      smallest in byte order, so the result never depends on hashing — in every word that holds it, updating
//      only the counts of pairs in those words (a heap with lazy deletion finds the best pair).
// It stops when the vocabulary has the requested size, or no pair occurs `minimumPairCount` times. A merge whose
// bytes equal an existing token reuses that token's id (as Hugging Face's trainer does), so the vocabulary can
// end up smaller than asked; `TrainedBPE.vocabularySize` says how large it is.
//
// The file has model BPE (vocab + merges), a ByteLevel pre-tokenizer (add_prefix_space false, use_regex true) and
// a ByteLevel decoder: Hugging Face `tokenizers` loads it, and HFTokenizer gives the same ids (checked with
// tokenizers 0.23.3 by scripts/check_hf_tokenizer.py on tinyshakespeare and a Unicode / special-token sample).

import MnemoSupport
import Foundation

public struct BPETrainer: Sendable {
    /// Total ids wanted: 256 bytes + merges + special tokens.
    public var vocabularySize: Int
    /// Strings that become single tokens at the end of the vocabulary and are cut out of the training text.
    public var specialTokens: [String]
    /// A pair must occur at least this often (weighted by word frequency) to be merged.
    public var minimumPairCount: Int

    public init(vocabularySize: Int, specialTokens: [String] = ["<|endoftext|>"], minimumPairCount: Int = 2) {
        self.vocabularySize = vocabularySize
        self.specialTokens = specialTokens
        self.minimumPairCount = minimumPairCount
    }

    /// Trains on the texts (each one is cut into pieces separately; nothing is merged across texts).
    public func train(_ texts: [String]) throws -> TrainedBPE {
        let specials = uniqued(specialTokens.filter { !$0.isEmpty })
        guard vocabularySize >= 256 + specials.count else {
            throw TokenizerError(.invalidArgument, "a vocabulary size of \(vocabularySize) leaves no room for the 256 bytes and \(specials.count) special tokens",
                                 hint: "ask for at least \(256 + specials.count)")
        }
        guard minimumPairCount >= 1 else {
            throw TokenizerError(.invalidArgument, "the minimum pair count must be at least 1")
        }
        var state = TrainingState(words: countWords(texts, specials: specials))
        let mergesWanted = vocabularySize - 256 - specials.count
        while state.tokens.count < 256 + mergesWanted, let best = state.bestPair(minimumCount: minimumPairCount) {
            state.merge(best)
        }
        return TrainedBPE(tokens: state.tokens, merges: state.merges, specialTokens: specials)
    }

    /// Distinct pieces of all texts with their counts, as byte arrays.
    func countWords(_ texts: [String], specials: [String]) -> [(bytes: [UInt8], count: Int)] {
        let matcher = SpecialTokenMatcher(specials.enumerated().map { AddedToken(content: $1, id: $0) })
        let splitter = GPT2PreTokenizer()
        let index = ByteStringMap(capacity: 1 << 12)
        var words: [(bytes: [UInt8], count: Int)] = []
        func count(_ p: UnsafePointer<UInt8>, _ n: Int) {
            var i = 0
            while i < n {
                let j = splitter.pieceEnd(p, i, n)
                let hash = hashBytes(p + i, j - i)
                if let slot = index.find(p + i, j - i, hash: hash) {
                    words[Int(slot)].count += 1
                } else {
                    index.set(p + i, j - i, hash: hash, payload: UInt64(words.count))
                    words.append((Array(UnsafeBufferPointer(start: p + i, count: j - i)), 1))
                }
                i = j
            }
        }
        for text in texts {
            var copy = text
            copy.withUTF8 { buffer in
                guard let p = buffer.baseAddress else { return }
                var i = 0
                while let match = matcher.nextMatch(p, from: i, end: buffer.count) {
                    count(p + i, match.start - i)
                    i = match.end
                }
                count(p + i, buffer.count - i)
            }
        }
        return words
    }

    private func uniqued(_ strings: [String]) -> [String] {
        var seen = Set<String>()
        return strings.filter { seen.insert($0).inserted }
    }
}

/// The pair counts and words during training.
private struct TrainingState {
    var words: [[Int32]]
    var frequencies: [Int]
    var tokens: [[UInt8]]
    var merges: [(left: Int, right: Int)] = []
    var idOfBytes: [[UInt8]: Int32] = [:]
    var pairCounts: [UInt64: Int] = [:]
    /// Words that hold (or held) each pair; stale entries are skipped when used.
    var wordsWithPair: [UInt64: [Int32]] = [:]
    var heap: [HeapEntry] = []
    /// The merge number at which each word was last rewritten (to skip duplicates in `wordsWithPair`).
    var stamp: [Int]

    struct HeapEntry {
        var count: Int
        var pair: UInt64
    }

    init(words input: [(bytes: [UInt8], count: Int)]) {
        words = input.map { $0.bytes.map { Int32($0) } }
        frequencies = input.map(\.count)
        tokens = (0..<256).map { [UInt8($0)] }
        for (id, bytes) in tokens.enumerated() { idOfBytes[bytes] = Int32(id) }
        stamp = [Int](repeating: -1, count: input.count)
        for (w, word) in words.enumerated() where word.count > 1 {
            for i in 0..<(word.count - 1) {
                let pair = key(word[i], word[i + 1])
                pairCounts[pair, default: 0] += frequencies[w]
                wordsWithPair[pair, default: []].append(Int32(w))
            }
        }
        for (pair, count) in pairCounts { push(HeapEntry(count: count, pair: pair)) }
    }

    func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    /// Whether `x` goes before `y`: higher count, then smaller (left bytes, right bytes).
    func precedes(_ x: HeapEntry, _ y: HeapEntry) -> Bool {
        if x.count != y.count { return x.count > y.count }
        let xl = tokens[Int(x.pair >> 32)], yl = tokens[Int(y.pair >> 32)]
        if xl != yl { return xl.lexicographicallyPrecedes(yl) }
        return tokens[Int(x.pair & 0xFFFF_FFFF)].lexicographicallyPrecedes(tokens[Int(y.pair & 0xFFFF_FFFF)])
    }

    mutating func push(_ entry: HeapEntry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !precedes(entry, heap[parent]) { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = entry
    }

    mutating func pop() -> HeapEntry? {
        guard let last = heap.popLast() else { return nil }
        if heap.isEmpty { return last }
        let top = heap[0]
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= heap.count { break }
            if child + 1 < heap.count, precedes(heap[child + 1], heap[child]) { child += 1 }
            if !precedes(heap[child], last) { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = last
        return top
    }

    /// The best pair whose current count is at least `minimumCount`, or nil.
    mutating func bestPair(minimumCount: Int) -> UInt64? {
        while let entry = pop() {
            let current = pairCounts[entry.pair] ?? 0
            if current != entry.count { continue }  // stale: a newer entry holds the current count
            if current < minimumCount { return nil }
            return entry.pair
        }
        return nil
    }

    mutating func merge(_ pair: UInt64) {
        let a = Int32(truncatingIfNeeded: pair >> 32), b = Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
        let bytes = tokens[Int(a)] + tokens[Int(b)]
        let merged: Int32
        if let existing = idOfBytes[bytes] {
            merged = existing
        } else {
            merged = Int32(tokens.count)
            tokens.append(bytes)
            idOfBytes[bytes] = merged
        }
        let mergeNumber = merges.count
        merges.append((Int(a), Int(b)))

        var changed: [UInt64: Int] = [:]  // pair → count change
        for w32 in wordsWithPair[pair] ?? [] {
            let w = Int(w32)
            if stamp[w] == mergeNumber { continue }
            stamp[w] = mergeNumber
            let old = words[w]
            guard old.count > 1 else { continue }
            var rewritten: [Int32] = []
            rewritten.reserveCapacity(old.count)
            var i = 0
            var found = false
            while i < old.count {
                if i + 1 < old.count, old[i] == a, old[i + 1] == b {
                    rewritten.append(merged)
                    i += 2
                    found = true
                } else {
                    rewritten.append(old[i])
                    i += 1
                }
            }
            if !found { continue }
            let frequency = frequencies[w]
            for j in 0..<(old.count - 1) { changed[key(old[j], old[j + 1]), default: 0] -= frequency }
            if rewritten.count > 1 {
                for j in 0..<(rewritten.count - 1) {
                    let newPair = key(rewritten[j], rewritten[j + 1])
                    changed[newPair, default: 0] += frequency
                    if rewritten[j] == merged || rewritten[j + 1] == merged { wordsWithPair[newPair, default: []].append(w32) }
                }
            }
            words[w] = rewritten
        }
        wordsWithPair[pair] = nil
        for (changedPair, delta) in changed where delta != 0 {
            let count = (pairCounts[changedPair] ?? 0) + delta
            if count > 0 {
                pairCounts[changedPair] = count
                push(HeapEntry(count: count, pair: changedPair))
            } else {
                pairCounts[changedPair] = nil
            }
        }
    }
}

/// A trained byte-level BPE: token bytes by id, merges in rank order, special tokens after the ordinary ids.
public struct TrainedBPE: Sendable {
    /// Bytes of each ordinary token; ids 0..<256 are the single bytes.
    public let tokens: [[UInt8]]
    /// (left id, right id) of each merge, in the order learned (= rank).
    public let merges: [(left: Int, right: Int)]
    /// Special tokens; the first has id `tokens.count`.
    public let specialTokens: [String]

    public var vocabularySize: Int { tokens.count + specialTokens.count }

    /// The Hugging Face tokenizer.json text.
    public func tokenizerJSON() -> String {
        func string(_ id: Int) -> String { jsonQuoted(ByteLevel.encode(tokens[id])) }
        var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for (index, special) in specialTokens.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "    {\"id\": \(tokens.count + index), \"content\": \(jsonQuoted(special)), \"single_word\": false, "
                + "\"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        out += specialTokens.isEmpty ? "],\n" : "\n  ],\n"
        out += "  \"normalizer\": null,\n"
        out += "  \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n"
        out += "  \"post_processor\": null,\n"
        out += "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
        out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
        out += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
        out += "    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {"
        for id in tokens.indices {
            out += id == 0 ? "\n      " : ",\n      "
            out += "\(string(id)): \(id)"
        }
        for (index, special) in specialTokens.enumerated() {
            out += ",\n      \(jsonQuoted(special)): \(tokens.count + index)"
        }
        out += "\n    },\n    \"merges\": ["
        for (index, merge) in merges.enumerated() {
            out += index == 0 ? "\n      " : ",\n      "
            out += "[\(string(merge.left)), \(string(merge.right))]"
        }
        out += merges.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        return out
    }

    /// Writes tokenizer.json.
    public func save(to path: String) throws {
        try TokenizerFiles.write(Data(tokenizerJSON().utf8), to: path)
    }

    /// The trained tokenizer, ready to encode (the same as loading the saved file).
    public func tokenizer() throws -> HFTokenizer {
        // .strict: the text is ours (tokenizerJSON), RFC 8259 with no duplicate keys, as the saved file is read back.
        let json: JSONValue
        do { json = try JSONParser.parse(tokenizerJSON(), options: .strict) } catch {
            throw TokenizerError(.corruptFile, "the trained tokenizer's JSON does not parse (byte \(error.offset): \(error.message))")
        }
        return try HFTokenizer(json: json, file: "(trained tokenizer)")
    }
}
