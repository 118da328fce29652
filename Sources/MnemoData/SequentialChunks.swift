// SequentialChunks.swift — a split of parallel token streams fed in order: a batch holds the same chunk of every stream
// (row s = stream s) and the next batch the chunk after it, so a model that carries state from one batch to the next
// (CortexGPT's cortex_stm_carry) reads each stream as one continuous text. Random windows (TokenWindows) would make
// such a carry meaningless. Targets are the inputs shifted by one (a chunk's last target is the next chunk's first
// token); the stream's per-token annotation (RecallStream's gaps) comes with each batch as extras[annotation], aligned
// with the targets.
//
// Two kinds:
//   endless (train)  every draw is the next chunk of every stream, made when drawn; the generator is not used, so the
//                    loss estimate's draws from this split move the streams on too (harmless: a stream only skips a
//                    chunk). A resumed run starts the streams again from their first chunk (the position is not in
//                    checkpoints). It has no full pass.
//   fixed (val)      `chunks` chunks of every stream, made once; a full pass is chunk 0, 1, 2, … in order, one batch
//                    per chunk holding every stream (whatever batch size is asked: a stream's chunks must stay in
//                    order and in the same row); a random draw is one chunk, chosen with the generator.
// Data parallel: rank r keeps the rows r·B ..< (r + 1)·B of a draw (wrapping over the streams), and in a full pass
// its share of the streams, every chunk of them in order.
import Torch

/// A generated token stream that comes a chunk at a time, with one annotation per token (0 where there is none).
public protocol ChunkStream {
    var chunkLength: Int { get }
    mutating func nextChunk() -> (tokens: [Int], annotations: [Int])
}

public final class SequentialChunks<Stream: ChunkStream>: BatchSource {
    /// T: tokens per chunk (the window).
    public let length: Int
    /// The extras key of the annotations.
    public let annotation: String
    /// nil: endless; else the chunks of every stream in the fixed split.
    public let chunks: Int?
    var streams: [Stream]
    /// Every stream's tokens and annotations from the current chunk on (endless), or all of them (fixed).
    var pending: [(tokens: [Int], annotations: [Int])]
    /// Chunks drawn so far (endless).
    public private(set) var drawn = 0

    public init(streams: [Stream], annotation: String, chunks: Int? = nil) {
        precondition(!streams.isEmpty, "SequentialChunks: no streams")
        precondition(chunks.map { $0 >= 1 } ?? true, "SequentialChunks: a fixed split needs at least one chunk")
        length = streams[0].chunkLength
        self.annotation = annotation
        self.chunks = chunks
        self.streams = streams
        pending = Array(repeating: ([], []), count: streams.count)
        // a fixed split makes one chunk more than it serves: the last target is the next chunk's first token
        for s in streams.indices { fill(s, upTo: ((chunks ?? 0) + 1) * length) }
    }

    public var streamCount: Int { streams.count }
    public var tokenCount: Int { streams.count * length * (chunks ?? drawn) }
    public var exampleCount: Int { chunks.map { $0 * streams.count } ?? 0 }

    public var note: String? {
        chunks == nil ? "an endless generated stream: \(streams.count) parallel streams, each batch the next \(length)-token chunk of every one" : nil
    }

    /// Makes stream `s`'s chunks until it has `count` tokens pending.
    func fill(_ s: Int, upTo count: Int) {
        while pending[s].tokens.count < count {
            let chunk = streams[s].nextChunk()
            pending[s].tokens += chunk.tokens
            pending[s].annotations += chunk.annotations
        }
    }

    public func randomBatch(size: Int, generator: Generator, device: Device, rank: Int, ranks: Int) -> Batch {
        let rows = (0..<size).map { (rank * size + $0) % streams.count }
        if let chunks {
            let chunk = Tensor.randint(0, chunks, [1], generator: generator).itemInt()
            return batch(rows: rows, chunk: chunk, device: device)
        }
        for s in streams.indices { fill(s, upTo: length + 1) }
        let out = batch(rows: rows, chunk: 0, device: device)
        for s in streams.indices {
            pending[s].tokens.removeFirst(length)
            pending[s].annotations.removeFirst(length)
        }
        drawn += 1
        return out
    }

    public func evaluationBatches(size: Int, device: Device, rank: Int, ranks: Int) -> AnySequence<Batch> {
        guard let chunks else { return AnySequence([]) }
        let per = (streams.count + ranks - 1) / ranks
        let rows = Array(Swift.min(rank * per, streams.count)..<Swift.min((rank + 1) * per, streams.count))
        guard !rows.isEmpty else { return AnySequence([]) }
        return AnySequence((0..<chunks).lazy.map { self.batch(rows: rows, chunk: $0, device: device) })
    }

    /// Chunk `chunk` (counted from the pending tokens' start) of the streams `rows`.
    func batch(rows: [Int], chunk: Int, device: Device) -> Batch {
        let t = length, from = chunk * t
        var x: [Int64] = [], y: [Int64] = [], a: [Int64] = []
        x.reserveCapacity(rows.count * t); y.reserveCapacity(rows.count * t); a.reserveCapacity(rows.count * t)
        for s in rows {
            let tokens = pending[s].tokens, annotations = pending[s].annotations
            x += tokens[from..<(from + t)].map(Int64.init)
            y += tokens[(from + 1)...(from + t)].map(Int64.init)
            a += annotations[(from + 1)...(from + t)].map(Int64.init)
        }
        let shape = [rows.count, t]
        return Batch(inputs: Tensor(x, shape: shape, device: device), targets: Tensor(y, shape: shape, device: device),
                     extras: [annotation: Tensor(a, shape: shape, device: device)], knownTargetCount: rows.count * t)
    }

    public func problem(split: String) -> String? { nil }
}
