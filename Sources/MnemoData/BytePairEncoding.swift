// BytePairEncoding.swift — the byte-level BPE model shared by the GPT-2 and Hugging Face tokenizers: token bytes
// ↔ ids, the pair table, and the merge loop applied to one pre-tokenized piece.
//
// One piece is encoded by starting from one symbol per byte and repeatedly merging the adjacent pair with the
// lowest rank (the leftmost one on a tie) until no pair has a rank. Two ways to rank a pair exist and both are
// offered, because the two reference libraries differ:
//   - `.mergeList` (Hugging Face `tokenizers`, GPT-2's encoder.py): a pair has a rank only if it is in the merge
//     list; rank = its line in the list; the result is the vocabulary id of the concatenation.
//   - `.vocabularyRank` (tiktoken): any pair whose concatenated bytes are a token has rank = that token's rank
//     (for GPT-2 the rank is the id). The pair table then holds every split of every token into two tokens.
// `wholePieceLookup` (tiktoken always; Hugging Face's `ignore_merges`) returns a piece that is itself a token
// without merging.
//
// Merging is a linear scan for short pieces (tiktoken's way: cheap for the usual 1–12 bytes) and a binary heap
// with lazy deletion for long ones (Hugging Face's way: O(n log n) for a 100 KB run of spaces). Both take the
// minimum (rank, position), so they give the same ids; a test checks it. Each thread encodes with its own
// `BPESession`, which caches the ids of every distinct piece it has seen.

/// How a pair of adjacent symbols is ranked (see the header).
enum PairRanking: Sendable {
    case mergeList
    case vocabularyRank
}

/// A byte-level BPE vocabulary and merge table. Immutable after `init`; safe to share between threads.
final class BytePairModel: @unchecked Sendable {
    /// id of each single byte, or -1 when the vocabulary has no token for it.
    let byteIds: [Int32]
    /// left << 32 | right → rank << 32 | merged id.
    let pairs: PairMap
    /// token bytes → id (ordinary tokens only).
    let vocabulary: ByteStringMap
    /// Bytes of each id (ordinary tokens; nil for ids that only added tokens or nothing use).
    let tokenBytes: [[UInt8]?]
    let wholePieceLookup: Bool
    /// Id used for a byte that has no token (Hugging Face `unk_token`); with none the byte is dropped.
    let unknownId: Int32?
    let fuseUnknown: Bool

    enum BuildError: Error, CustomStringConvertible {
        case duplicateToken(id: Int, other: Int)
        case mergeWithUnknownPart(line: Int, left: [UInt8], right: [UInt8], missing: [UInt8])
        case mergeResultMissing(line: Int, result: [UInt8])

        var description: String {
            func show(_ bytes: [UInt8]) -> String { "\"" + ByteLevel.encode(bytes) + "\"" }
            switch self {
            case let .duplicateToken(id, other): return "ids \(other) and \(id) have the same bytes"
            case let .mergeWithUnknownPart(line, left, right, missing):
                return "merge \(line) (\(show(left)) \(show(right))) uses \(show(missing)), which is not in the vocabulary"
            case let .mergeResultMissing(line, result):
                return "merge \(line) makes \(show(result)), which is not in the vocabulary"
            }
        }
    }

    /// - Parameters:
    ///   - tokens: (bytes, id) of every ordinary token.
    ///   - merges: the merge list in rank order (used for `.mergeList`; for `.vocabularyRank` it is only checked).
    init(tokens: [(bytes: [UInt8], id: Int)], merges: [(left: [UInt8], right: [UInt8])], ranking: PairRanking,
         wholePieceLookup: Bool, unknownId: Int? = nil, fuseUnknown: Bool = false) throws {
        let vocabulary = ByteStringMap(capacity: tokens.count)
        var maxId = -1
        for token in tokens {
            if let other = vocabulary.find(token.bytes) { throw BuildError.duplicateToken(id: token.id, other: Int(other)) }
            vocabulary.set(token.bytes, payload: UInt64(token.id))
            maxId = max(maxId, token.id)
        }
        var tokenBytes = [[UInt8]?](repeating: nil, count: maxId + 1)
        var byteIds = [Int32](repeating: -1, count: 256)
        for token in tokens {
            tokenBytes[token.id] = token.bytes
            if token.bytes.count == 1 { byteIds[Int(token.bytes[0])] = Int32(token.id) }
        }
        let pairs = PairMap(capacity: max(merges.count, tokens.count * 2))
        func id(_ bytes: [UInt8]) -> UInt64? { vocabulary.find(bytes) }
        for (line, merge) in merges.enumerated() {
            guard let left = id(merge.left) else {
                throw BuildError.mergeWithUnknownPart(line: line + 1, left: merge.left, right: merge.right, missing: merge.left)
            }
            guard let right = id(merge.right) else {
                throw BuildError.mergeWithUnknownPart(line: line + 1, left: merge.left, right: merge.right, missing: merge.right)
            }
            guard let merged = id(merge.left + merge.right) else {
                throw BuildError.mergeResultMissing(line: line + 1, result: merge.left + merge.right)
            }
            if ranking == .mergeList {
                pairs.set(left << 32 | right, UInt64(line) << 32 | merged)  // a repeated pair: the last line wins, as in HF
            }
        }
        if ranking == .vocabularyRank {
            for token in tokens where token.bytes.count > 1 {
                token.bytes.withUnsafeBufferPointer { buffer in
                    let p = buffer.baseAddress!
                    for k in 1..<buffer.count {
                        guard let left = vocabulary.find(p, k, hash: hashBytes(p, k)),
                              let right = vocabulary.find(p + k, buffer.count - k, hash: hashBytes(p + k, buffer.count - k))
                        else { continue }
                        pairs.set(left << 32 | right, UInt64(token.id) << 32 | UInt64(token.id))
                    }
                }
            }
        }
        self.byteIds = byteIds
        self.pairs = pairs
        self.vocabulary = vocabulary
        self.tokenBytes = tokenBytes
        self.wholePieceLookup = wholePieceLookup
        self.unknownId = unknownId.map { Int32($0) }
        self.fuseUnknown = fuseUnknown
    }

    /// Largest ordinary id + 1.
    var idLimit: Int { tokenBytes.count }
}

/// Per-thread encoding state: the piece cache and scratch buffers. Not thread-safe; make one per task.
final class BPESession {
    let model: BytePairModel
    private let byteIds: UnsafeMutablePointer<Int32>
    private let cache: ByteStringMap
    /// Ids of cached pieces; a cache payload is offset << 32 | count into it.
    private var cached: [Int32] = []
    private var symbols: [Int32] = []
    private var ranks: [UInt64] = []
    private var heap: [UInt64] = []
    private var next: [Int32] = []
    private var previous: [Int32] = []
    /// Distinct pieces kept before the cache is emptied (bounds memory on huge corpora).
    static let cacheLimit = 1 << 20
    /// Pieces longer than this many bytes merge with the heap (a test changes it to compare both ways).
    var heapThreshold = 64

    init(model: BytePairModel) {
        self.model = model
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
        model.byteIds.withUnsafeBufferPointer { table.initialize(from: $0.baseAddress!, count: 256) }
        byteIds = table
        cache = ByteStringMap(capacity: 4096)
        cached.reserveCapacity(1 << 14)
    }

    deinit { byteIds.deallocate() }

    /// Appends the ids of the piece `p[0..<n]` (n ≥ 1) to `out`.
    @inline(__always)
    func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [Int]) {
        if n == 1 {
            let id = byteIds[Int(p[0])]
            if id >= 0 { out.append(Int(id)) } else if let unknown = model.unknownId { out.append(Int(unknown)) }
            return
        }
        let hash = hashBytes(p, n)
        if let payload = cache.find(p, n, hash: hash) {
            appendCached(payload, into: &out)
            return
        }
        if cache.count >= Self.cacheLimit {
            cache.removeAll()
            cached.removeAll(keepingCapacity: true)
        }
        let offset = cached.count
        if model.wholePieceLookup, let id = model.vocabulary.find(p, n, hash: hash) {
            cached.append(Int32(truncatingIfNeeded: id))
        } else if n <= heapThreshold {
            mergeByScan(p, n)
        } else {
            mergeByHeap(p, n)
        }
        let payload = UInt64(offset) << 32 | UInt64(cached.count - offset)
        cache.set(p, n, hash: hash, payload: payload)
        appendCached(payload, into: &out)
    }

    @inline(__always)
    private func appendCached(_ payload: UInt64, into out: inout [Int]) {
        let offset = Int(payload >> 32), count = Int(payload & 0xFFFF_FFFF)
        cached.withUnsafeBufferPointer { ids in
            for i in offset..<(offset + count) { out.append(Int(ids[i])) }
        }
    }

    /// The initial symbols of a piece (one per byte; unknown bytes become the unknown id or are dropped).
    private func loadSymbols(_ p: UnsafePointer<UInt8>, _ n: Int) {
        symbols.removeAll(keepingCapacity: true)
        for i in 0..<n {
            let id = byteIds[Int(p[i])]
            if id >= 0 {
                symbols.append(id)
            } else if let unknown = model.unknownId {
                if model.fuseUnknown, symbols.last == unknown { continue }
                symbols.append(unknown)
            }
        }
    }

    @inline(__always)
    private func rank(_ left: Int32, _ right: Int32) -> UInt64 {
        model.pairs.find(UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))) ?? .max
    }

    /// Linear scan: find the lowest (rank, position), merge, update the two neighbouring ranks, repeat.
    private func mergeByScan(_ p: UnsafePointer<UInt8>, _ n: Int) {
        loadSymbols(p, n)
        var count = symbols.count
        if count == 0 { return }
        symbols.withUnsafeMutableBufferPointer { sym in
            ranks.removeAll(keepingCapacity: true)
            for i in 0..<(count - 1) { ranks.append(rank(sym[i], sym[i + 1])) }
            ranks.withUnsafeMutableBufferPointer { rk in
                while count > 1 {
                    var best = UInt64.max, at = -1
                    for i in 0..<(count - 1) where rk[i] < best {
                        best = rk[i]
                        at = i
                    }
                    if at < 0 { break }
                    sym[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
                    var i = at + 1
                    while i + 1 < count { sym[i] = sym[i + 1]; i += 1 }
                    i = at
                    while i + 1 < count - 1 { rk[i] = rk[i + 1]; i += 1 }
                    count -= 1
                    if at > 0 { rk[at - 1] = rank(sym[at - 1], sym[at]) }
                    if at < count - 1 { rk[at] = rank(sym[at], sym[at + 1]) }
                }
            }
            for i in 0..<count { cached.append(sym[i]) }
        }
    }

    /// Heap of (rank << 32 | position) with lazy deletion over a doubly linked list of symbols.
    private func mergeByHeap(_ p: UnsafePointer<UInt8>, _ n: Int) {
        loadSymbols(p, n)
        let count = symbols.count
        if count == 0 { return }
        next = (0..<count).map { Int32($0 + 1) }
        next[count - 1] = -1
        previous = (0..<count).map { Int32($0 - 1) }
        heap.removeAll(keepingCapacity: true)
        for i in 0..<(count - 1) {
            let r = rank(symbols[i], symbols[i + 1])
            if r != .max { heapPush(r & 0xFFFF_FFFF_0000_0000 | UInt64(i)) }
        }
        while let top = heapPop() {
            let at = Int(top & 0xFFFF_FFFF)
            let right = Int(next[at])
            if symbols[at] < 0 || right < 0 { continue }
            let r = rank(symbols[at], symbols[right])
            if r == .max || r >> 32 != top >> 32 { continue }  // stale entry
            symbols[at] = Int32(truncatingIfNeeded: r & 0xFFFF_FFFF)
            symbols[right] = -1
            let after = Int(next[right])
            next[at] = Int32(after)
            if after >= 0 { previous[after] = Int32(at) }
            let before = Int(previous[at])
            if before >= 0 {
                let rb = rank(symbols[before], symbols[at])
                if rb != .max { heapPush(rb & 0xFFFF_FFFF_0000_0000 | UInt64(before)) }
            }
            if after >= 0 {
                let ra = rank(symbols[at], symbols[after])
                if ra != .max { heapPush(ra & 0xFFFF_FFFF_0000_0000 | UInt64(at)) }
            }
        }
        var i = 0
        while i >= 0 {
            cached.append(symbols[i])
            i = Int(next[i])
        }
    }

    private func heapPush(_ value: UInt64) {
        heap.append(value)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent] <= value { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = value
    }

    private func heapPop() -> UInt64? {
        guard let last = heap.popLast() else { return nil }
        if heap.isEmpty { return last }
        let top = heap[0]
        var parent = 0
        let count = heap.count
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count, heap[child + 1] < heap[child] { child += 1 }
            if heap[child] >= last { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = last
        return top
    }
}
