// ByteLevelEncoder.swift — the encoding pipeline shared by GPT2Tokenizer and HFTokenizer:
//
//     text ─▶ special / added tokens (SpecialTokenMatcher) ─▶ NFC (Qwen2's normalizer, when asked) of the text
//          between them ─▶ pieces (SplitPattern: GPT-2, Llama 3 or Qwen2) ─▶ BPE per piece
//
// and decoding (bytes of each id, concatenated, then UTF-8 with U+FFFD for invalid sequences). Works on the
// String's UTF-8 bytes in place; one BPESession (piece cache) per call or per thread. NFC is the Swift standard
// library's (`_nfcCodeUnits`, the normalizer String comparison uses): Foundation's on Linux leaves a Hangul LV
// syllable and a trailing jamo uncomposed, which Hugging Face composes.

struct ByteLevelEncoder: Sendable {
    let model: BytePairModel
    let addedTokens: [AddedToken]
    let specialTokens: [String: Int]
    private let allMatcher: SpecialTokenMatcher
    /// Hugging Face ByteLevel `add_prefix_space`: a space is put before each stretch of text that lacks one.
    let addPrefixSpace: Bool
    /// Bytes that each id decodes to (nil: not an id of this tokenizer).
    private let decodeBytes: [[UInt8]?]
    /// The pre-tokenization pattern.
    let pattern: SplitPattern
    /// Whether ordinary text is put in Unicode normalization form C first (Hugging Face's NFC normalizer).
    let normalizesNFC: Bool

    var vocabularySize: Int { decodeBytes.count }

    init(model: BytePairModel, addedTokens: [AddedToken], addPrefixSpace: Bool, decodeBytes: [[UInt8]?],
         pattern: SplitPattern = .gpt2, normalizesNFC: Bool = false) {
        self.pattern = pattern
        self.normalizesNFC = normalizesNFC
        self.model = model
        self.addedTokens = addedTokens
        var special: [String: Int] = [:]
        for token in addedTokens { special[token.content] = token.id }
        specialTokens = special
        allMatcher = SpecialTokenMatcher(addedTokens)
        self.addPrefixSpace = addPrefixSpace
        self.decodeBytes = decodeBytes
    }

    func matcher(_ policy: SpecialTokenPolicy) -> SpecialTokenMatcher? {
        switch policy {
        case .none: return nil
        case .all: return allMatcher.isEmpty ? nil : allMatcher
        case .only(let names):
            let matcher = SpecialTokenMatcher(addedTokens.filter { names.contains($0.content) })
            return matcher.isEmpty ? nil : matcher
        }
    }

    func encode(_ text: String, allowedSpecial policy: SpecialTokenPolicy) -> [Int] {
        var copy = text
        return copy.withUTF8 { buffer -> [Int] in
            guard let p = buffer.baseAddress, buffer.count > 0 else { return [] }
            var ids: [Int] = []
            ids.reserveCapacity(buffer.count / 3)
            encode(p, buffer.count, matcher: matcher(policy), session: BPESession(model: model), into: &ids)
            return ids
        }
    }

    func encodeConcurrently(_ text: String, allowedSpecial policy: SpecialTokenPolicy, threads: Int) -> [Int] {
        let matcher = matcher(policy)
        var copy = text
        return copy.withUTF8 { buffer -> [Int] in
            guard let p = buffer.baseAddress, buffer.count > 0 else { return [] }
            let minimumChunk = 1 << 16
            let workers = min(threads, buffer.count / minimumChunk)
            if workers <= 1 || addPrefixSpace || (matcher?.strips ?? false) {
                var ids: [Int] = []
                ids.reserveCapacity(buffer.count / 3)
                encode(p, buffer.count, matcher: matcher, session: BPESession(model: model), into: &ids)
                return ids
            }
            let cuts = safeCuts(p, count: buffer.count, parts: workers, avoiding: matcher)
            let base = UnsafeSendablePointer(p)
            return encodeChunks(cuts: cuts, threads: workers) { start, end in
                var ids: [Int] = []
                ids.reserveCapacity((end - start) / 3)
                encode(base.value + start, end - start, matcher: matcher, session: BPESession(model: model), into: &ids)
                return ids
            }
        }
    }

    /// Byte offsets cutting `p[0..<count]` into about `parts` chunks where the pattern allows (ParallelEncoding.swift).
    /// Valid with NFC too: a cut falls before whitespace, which composes with nothing before it.
    func safeCuts(_ p: UnsafePointer<UInt8>, count: Int, parts: Int, avoiding matcher: SpecialTokenMatcher?) -> [Int] {
        switch pattern {
        case .gpt2: return MnemoData.safeCuts(p, count: count, parts: parts, splitter: GPT2PreTokenizer(), avoiding: matcher)
        case .llama3, .qwen2:
            return MnemoData.safeCuts(p, count: count, parts: parts, splitter: Llama3PreTokenizer(digitsPerPiece: 1), avoiding: matcher)
        }
    }

    func encodeBatch(_ texts: [String], allowedSpecial policy: SpecialTokenPolicy, threads: Int) -> [[Int]] {
        let matcher = matcher(policy)
        return runConcurrently(count: texts.count, threads: threads) { range -> [[Int]] in
            let session = BPESession(model: model)
            return range.map { index -> [Int] in
                var copy = texts[index]
                return copy.withUTF8 { buffer -> [Int] in
                    guard let p = buffer.baseAddress, buffer.count > 0 else { return [] }
                    var ids: [Int] = []
                    encode(p, buffer.count, matcher: matcher, session: session, into: &ids)
                    return ids
                }
            }
        }
    }

    /// Appends the ids of `p[0..<count]`: added tokens found by `matcher`, ordinary text between them.
    func encode(_ p: UnsafePointer<UInt8>, _ count: Int, matcher: SpecialTokenMatcher?, session: BPESession,
                into ids: inout [Int]) {
        var i = 0
        if let matcher {
            while let match = matcher.nextMatch(p, from: i, end: count) {
                encodeOrdinary(p + i, match.start - i, session: session, into: &ids)
                ids.append(match.id)
                i = match.end
            }
        }
        encodeOrdinary(p + i, count - i, session: session, into: &ids)
    }

    /// Appends the ids of ordinary text: normalized when asked, cut into pieces, each through the BPE.
    func encodeOrdinary(_ p: UnsafePointer<UInt8>, _ count: Int, session: BPESession, into ids: inout [Int]) {
        if count <= 0 { return }
        if normalizesNFC, let normalized = Self.nfc(p, count) {
            normalized.withUnsafeBufferPointer { buffer in
                encodePrefixed(buffer.baseAddress!, buffer.count, session: session, into: &ids)
            }
            return
        }
        encodePrefixed(p, count, session: session, into: &ids)
    }

    /// The NFC form of `p[0..<count]` (valid UTF-8), or nil when it is already NFC for certain: every scalar below
    /// U+0300 (no byte from 0xCC up) is a starter that composes with nothing before it.
    static func nfc(_ p: UnsafePointer<UInt8>, _ count: Int) -> [UInt8]? {
        var i = 0
        while i < count, p[i] < 0xCC { i += 1 }
        if i == count { return nil }
        let text = String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self)
        return text._nfcCodeUnits
    }

    /// Appends the ids of text after normalization: Hugging Face ByteLevel's prefix space, then the pieces.
    private func encodePrefixed(_ p: UnsafePointer<UInt8>, _ count: Int, session: BPESession, into ids: inout [Int]) {
        if count <= 0 { return }
        if addPrefixSpace, p[0] != 0x20 {
            var prefixed = [UInt8](repeating: 0x20, count: count + 1)
            prefixed.withUnsafeMutableBufferPointer { $0.baseAddress!.advanced(by: 1).update(from: p, count: count) }
            prefixed.withUnsafeBufferPointer { buffer in
                encodePieces(buffer.baseAddress!, buffer.count, session: session, into: &ids)
            }
            return
        }
        encodePieces(p, count, session: session, into: &ids)
    }

    private func encodePieces(_ p: UnsafePointer<UInt8>, _ count: Int, session: BPESession, into ids: inout [Int]) {
        switch pattern {
        case .gpt2: encodePieces(p, count, splitter: GPT2PreTokenizer(), session: session, into: &ids)
        case .llama3: encodePieces(p, count, splitter: Llama3PreTokenizer(digitsPerPiece: 3), session: session, into: &ids)
        case .qwen2: encodePieces(p, count, splitter: Llama3PreTokenizer(digitsPerPiece: 1), session: session, into: &ids)
        }
    }

    @inline(__always)
    private func encodePieces<Splitter: PieceSplitter>(_ p: UnsafePointer<UInt8>, _ count: Int, splitter: Splitter,
                                                       session: BPESession, into ids: inout [Int]) {
        var i = 0
        while i < count {
            let j = splitter.pieceEnd(p, i, count)
            session.encodePiece(p + i, j - i, into: &ids)
            i = j
        }
    }

    func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            if id >= 0, id < decodeBytes.count, let token = decodeBytes[id] {
                bytes += token
            } else {
                bytes += [0xEF, 0xBF, 0xBD]  // U+FFFD
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Bytes of one id, or nil.
    func bytes(of id: Int) -> [UInt8]? {
        id >= 0 && id < decodeBytes.count ? decodeBytes[id] : nil
    }
}

/// Hands a read-only pointer to concurrentPerform's closure.
struct UnsafeSendablePointer: @unchecked Sendable {
    let value: UnsafePointer<UInt8>
    init(_ value: UnsafePointer<UInt8>) { self.value = value }
}
