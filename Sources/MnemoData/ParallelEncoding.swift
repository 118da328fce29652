// ParallelEncoding.swift — cutting a large text where the cut cannot change the ids, and running work on threads.
//
// A cut at byte offset i is safe for GPT-2's pre-tokenization when the scalar at i is whitespace and the one
// before is not (GPT2PreTokenizer.swift explains why: no piece crosses such a point, and the pattern never looks
// behind); for Llama 3's and Qwen2's the scalar at i must also not be a newline (Llama3PreTokenizer.swift). With special tokens allowed the cut must also not fall inside an occurrence of one. Then encoding the
// chunks separately and concatenating gives exactly the ids of encoding the whole text, which a test checks on
// tinyshakespeare with 2, 3, 5 and 8 threads and on random whitespace / Unicode / special-token text.

import Dispatch

/// Runs `body` on contiguous ranges of `0..<count` on up to `threads` threads (Dispatch's concurrentPerform) and
/// concatenates the results in order.
func runConcurrently<T>(count: Int, threads: Int, minimumPerThread: Int = 1, _ body: @Sendable (Range<Int>) -> [T]) -> [T] {
    let workers = max(1, min(threads, count / max(1, minimumPerThread)))
    if workers <= 1 { return body(0..<count) }
    let parts = min(count, workers * 4)  // a few parts per thread evens out uneven chunks
    var results = [[T]](repeating: [], count: parts)
    results.withUnsafeMutableBufferPointer { slots in
        let slots = UnsafeMutableSendable(slots)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (part * count / parts)..<((part + 1) * count / parts)
            slots.value[part] = body(range)
        }
    }
    return Array(results.joined())
}

/// Encodes the pieces between `cuts` concurrently (`encode(start, end)` must be thread-safe) and concatenates.
func encodeChunks(cuts: [Int], threads: Int, _ encode: @Sendable (Int, Int) -> [Int]) -> [Int] {
    let chunks = cuts.count - 1
    var results = [[Int]](repeating: [], count: chunks)
    results.withUnsafeMutableBufferPointer { slots in
        let slots = UnsafeMutableSendable(slots)
        DispatchQueue.concurrentPerform(iterations: chunks) { k in
            slots.value[k] = encode(cuts[k], cuts[k + 1])
        }
    }
    var ids: [Int] = []
    ids.reserveCapacity(results.reduce(0) { $0 + $1.count })
    for part in results { ids += part }
    return ids
}

/// Byte offsets (first 0, last `count`) cutting `p[0..<count]` into about `parts` chunks at safe points (see the
/// header). A stretch with no safe point within `window` bytes of a target is left uncut.
func safeCuts<Splitter: PieceSplitter>(_ p: UnsafePointer<UInt8>, count: Int, parts: Int, splitter: Splitter,
                                       avoiding matcher: SpecialTokenMatcher?, window: Int = 1 << 20) -> [Int] {
    var cuts = [0]
    for k in 1..<max(1, parts) {
        var i = max(k * count / parts, cuts.last! + 1)
        let limit = min(count, i + window)
        while i < limit {
            let byte = p[i]
            if byte == 0x0A || byte == 0x20 || byte == 0x09 || byte == 0x0D, splitter.isSafeSplit(p, i, count),
               !(matcher?.straddles(p, i, count: count) ?? false) {
                cuts.append(i)
                break
            }
            i += 1
        }
    }
    cuts.append(count)
    return cuts
}

/// Hands a pointer to concurrentPerform's closure; each iteration writes a different element.
struct UnsafeMutableSendable<T>: @unchecked Sendable {
    let value: UnsafeMutableBufferPointer<T>
    init(_ value: UnsafeMutableBufferPointer<T>) { self.value = value }
}
