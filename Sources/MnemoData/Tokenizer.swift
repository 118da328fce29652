// Tokenizer.swift — what every tokenizer offers: text ↔ token ids.
//
// The four requirements at the top are the whole contract; the rest have default implementations, which the
// tokenizers of this module replace with faster ones (one piece cache per thread, chunked parallel encoding).

import Foundation

/// Which special-token strings `encode(_:allowedSpecial:)` turns into their ids; all other text is ordinary.
public enum SpecialTokenPolicy: Sendable, Hashable {
    /// None: the same ids as `encode(_:)` (tiktoken's `encode_ordinary`).
    case none
    /// Every string in the tokenizer's `specialTokens`: tiktoken's `allowed_special="all"`, and what Hugging Face
    /// `tokenizer.encode(text, add_special_tokens=False)` does (it always matches its added tokens in text).
    case all
    /// Only these strings. Strings that are not special tokens of the tokenizer are ignored.
    case only(Set<String>)

    /// The entries of `specialTokens` this policy allows.
    public func allowed(from specialTokens: [String: Int]) -> [String: Int] {
        switch self {
        case .none: return [:]
        case .all: return specialTokens
        case .only(let names): return specialTokens.filter { names.contains($0.key) }
        }
    }
}

public protocol Tokenizer: Sendable {
    /// Number of ids (the model's vocabulary must be at least this large).
    var vocabularySize: Int { get }
    /// Ids of ordinary text: special-token strings in `text` are encoded as plain text (tiktoken's encode_ordinary).
    func encode(_ text: String) -> [Int]
    /// Text of ids (invalid UTF-8 byte sequences become U+FFFD, as Python's errors="replace").
    func decode(_ ids: [Int]) -> String
    /// The end-of-text / document separator id, if the vocabulary has one.
    var endOfText: Int? { get }

    /// Special-token strings → ids that `encode(_:allowedSpecial:)` can recognise in text (default: none).
    var specialTokens: [String: Int] { get }
    /// Ids of `text` in which the allowed special-token strings become their ids. Matches are found left to right,
    /// the longest at a position first; the text between them is encoded as by `encode(_:)`.
    func encode(_ text: String, allowedSpecial: SpecialTokenPolicy) -> [Int]
    /// The same ids as `encode(text, allowedSpecial:)`, computed on up to `threads` threads: the text is cut where
    /// cutting cannot change the ids, and the chunks are encoded concurrently. Default: one thread.
    func encodeConcurrently(_ text: String, allowedSpecial: SpecialTokenPolicy, threads: Int) -> [Int]
    /// `encode(text, allowedSpecial:)` of each text, spread over up to `threads` threads.
    func encodeBatch(_ texts: [String], allowedSpecial: SpecialTokenPolicy, threads: Int) -> [[Int]]
}

/// The number of threads the concurrent encoders use when not told.
public var defaultEncodingThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

extension Tokenizer {
    public var specialTokens: [String: Int] { [:] }

    public func encode(_ text: String, allowedSpecial: SpecialTokenPolicy) -> [Int] {
        let allowed = allowedSpecial.allowed(from: specialTokens)
        if allowed.isEmpty { return encode(text) }
        let matcher = SpecialTokenMatcher(allowed.map { AddedToken(content: $0.key, id: $0.value) })
        var ids: [Int] = []
        var copy = text
        copy.withUTF8 { buffer in
            guard let p = buffer.baseAddress else { return }
            var i = 0
            while let match = matcher.nextMatch(p, from: i, end: buffer.count) {
                if match.start > i { ids += encode(String(decoding: UnsafeBufferPointer(start: p + i, count: match.start - i), as: UTF8.self)) }
                ids.append(match.id)
                i = match.end
            }
            if i < buffer.count { ids += encode(String(decoding: UnsafeBufferPointer(start: p + i, count: buffer.count - i), as: UTF8.self)) }
        }
        return ids
    }

    public func encodeConcurrently(_ text: String, allowedSpecial: SpecialTokenPolicy, threads: Int) -> [Int] {
        encode(text, allowedSpecial: allowedSpecial)
    }

    public func encodeBatch(_ texts: [String], allowedSpecial: SpecialTokenPolicy, threads: Int) -> [[Int]] {
        runConcurrently(count: texts.count, threads: threads) { range in
            range.map { encode(texts[$0], allowedSpecial: allowedSpecial) }
        }
    }

    /// `encodeConcurrently(text, allowedSpecial:threads:)` on all cores.
    public func encodeConcurrently(_ text: String, allowedSpecial: SpecialTokenPolicy = .none) -> [Int] {
        encodeConcurrently(text, allowedSpecial: allowedSpecial, threads: defaultEncodingThreads)
    }

    /// `encodeBatch(texts, allowedSpecial:threads:)` on all cores.
    public func encodeBatch(_ texts: [String], allowedSpecial: SpecialTokenPolicy = .none) -> [[Int]] {
        encodeBatch(texts, allowedSpecial: allowedSpecial, threads: defaultEncodingThreads)
    }

    /// Checks that every id is in `0..<vocabularySize` before decoding (`decode` itself writes U+FFFD for them).
    public func decodeChecked(_ ids: [Int]) throws -> String {
        if let bad = ids.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw TokenizerError(.unknownId, "id \(ids[bad]) at position \(bad) is outside the vocabulary (0..<\(vocabularySize))",
                                 hint: "decode ids with the tokenizer that produced them")
        }
        return decode(ids)
    }
}
