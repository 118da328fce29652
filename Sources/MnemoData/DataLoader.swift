// DataLoader.swift — training batches from token streams: nanoGPT's random windows and build-nanogpt's
// sequential walk over shards, with per-rank offsets and a resumable position.
//
// Both return (x, y): int64 tensors of shape (B, T) where y is x shifted left by one token (y[b, t] is the
// token after x[b, t]). A batch is built in one [Int64] buffer of 2·B·T values, x then y, turned into a single
// (2, B, T) tensor on the target device (one host-to-device copy), of which x and y are the two halves.
//
// Not here: shuffling of shards or of windows inside a shard (llm.c's `should_shuffle`), document masking, and
// background prefetching (Tensor is not Sendable; a prefetching loader would pass [Int64] buffers between
// tasks). Token ids are not checked against a vocabulary.

import MnemoSupport
import Torch

/// nanoGPT's `get_batch`: each of the B rows is a window starting at a position drawn uniformly from
/// `0 ..< count - T`, as `torch.randint(len(data) - block_size, (batch_size,))` — for the same generator state
/// the same starts as PyTorch.
///
///     let train = RandomWindowLoader(try ShardedTokens(directory: "data/shakespeare", split: "train"))
///     let (x, y) = try train.batch(12, 256, generator: generator, device: .best)  // (12, 256) each
public struct RandomWindowLoader: Sendable {
    public let tokens: any TokenSource

    public init(_ tokens: any TokenSource) {
        self.tokens = tokens
    }

    /// B windows of T tokens and their targets. Throws `.notEnoughTokens` when the stream is shorter than T + 1.
    /// Data parallel: every rank draws the starts of all `ranks` × B windows from the same generator state and keeps
    /// its own B (rows rank·B ..< (rank+1)·B), so W ranks × B see exactly the windows of one process × W·B.
    public func batch(_ batchSize: Int, _ blockSize: Int, generator: Generator? = nil, device: Device = .cpu,
                      rank: Int = 0, ranks: Int = 1)
        throws(TokenDataError) -> (x: Tensor, y: Tensor)
    {
        try checkBatchShape(batchSize: batchSize, blockSize: blockSize)
        guard tokens.count > blockSize else {
            throw TokenDataError(
                .notEnoughTokens, file: sourceName(tokens),
                "\(groupedThousands(tokens.count)) tokens are too few for a window of T = \(blockSize) tokens and its target (T + 1 tokens)",
                hint: "use a shorter block size or more data")
        }
        let starts = Tensor.randint(0, tokens.count - blockSize, [batchSize * ranks], generator: generator)
            .toArray(Int64.self)[(rank * batchSize)..<((rank + 1) * batchSize)]
        return makeTokenBatch(batchSize, blockSize, device: device) { x, y in
            for (row, start) in starts.enumerated() {
                tokens.copy(from: Int(start), count: blockSize, into: x + row * blockSize)
                tokens.copy(from: Int(start) + 1, count: blockSize, into: y + row * blockSize)
            }
        }
    }
}

/// build-nanogpt's `DataLoaderLite`: reads each shard front to back in steps of W·B·T tokens (W = worldSize), rank
/// r taking the B·T-token slice at r·B·T of each step (plus one token for the last target), and moves to the
/// next shard when the next step would run past the end of this one, wrapping around after the last.
///
/// The decision to move on is made for the whole step, so all ranks change shards together (build-nanogpt
/// tests each rank's own offset, which can let ranks drift apart near a shard's end). Shards too short for one
/// step are skipped (`skippedShards`); at least one must be long enough.
///
/// `state` is the position of the next step, the same on every rank: save it with a checkpoint and `restore` it
/// to continue with exactly the batches that would have come next.
public final class SequentialLoader {
    /// Where the next step starts.
    public struct State: Codable, Sendable, Equatable, CustomStringConvertible {
        /// Index into `shards`.
        public var shard: Int
        /// Token offset in that shard of the step's first window (rank 0's; rank r reads from position + r·B·T).
        public var position: Int

        public init(shard: Int, position: Int) {
            self.shard = shard
            self.position = position
        }

        public var description: String { "shard \(shard), position \(position)" }
    }

    public let shards: [TokenShard]
    public let batchSize: Int
    public let blockSize: Int
    public let rank: Int
    public let worldSize: Int
    /// Indices of the shards shorter than one step (W·B·T + 1 tokens), which the walk skips.
    public let skippedShards: [Int]
    /// The position of the next step.
    public private(set) var state: State

    /// Tokens one step consumes across all ranks: W·B·T.
    public var tokensPerStep: Int { worldSize * batchSize * blockSize }

    public init(shards: [TokenShard], batchSize: Int, blockSize: Int, rank: Int = 0, worldSize: Int = 1)
        throws(TokenDataError)
    {
        try checkBatchShape(batchSize: batchSize, blockSize: blockSize)
        guard worldSize >= 1, rank >= 0, rank < worldSize else {
            throw TokenDataError(.invalidOption, "rank \(rank) is not in 0..<worldSize (\(worldSize))")
        }
        guard !shards.isEmpty else {
            throw TokenDataError(.noShards, "the sequential loader was given no shards")
        }
        let needed = worldSize * batchSize * blockSize + 1
        let skipped = shards.indices.filter { shards[$0].count < needed }
        guard skipped.count < shards.count else {
            let longest = shards.max { $0.count < $1.count }!
            throw TokenDataError(
                .notEnoughTokens, file: longest.path,
                "no shard holds one step of W·B·T + 1 = \(worldSize)·\(batchSize)·\(blockSize) + 1 = \(groupedThousands(needed)) tokens; "
                    + "the longest has \(groupedThousands(longest.count))",
                hint: "use a smaller batch or block size, or prepare larger shards (--shard-size)")
        }
        self.shards = shards
        self.batchSize = batchSize
        self.blockSize = blockSize
        self.rank = rank
        self.worldSize = worldSize
        skippedShards = skipped
        state = State(shard: shards.indices.first { !skipped.contains($0) }!, position: 0)
    }

    /// Opens the shards of one split of a prepared folder (`DIR/split_*.bin`, sorted by name).
    public convenience init(directory: String, split: String, batchSize: Int, blockSize: Int, rank: Int = 0,
                            worldSize: Int = 1) throws(TokenDataError) {
        var shards: [TokenShard] = []
        for path in try TokenShard.paths(in: directory, split: split) { shards.append(try TokenShard(path: path)) }
        try self.init(shards: shards, batchSize: batchSize, blockSize: blockSize, rank: rank, worldSize: worldSize)
    }

    /// This rank's next batch; then moves `state` to the next step.
    public func next(device: Device = .cpu) -> (x: Tensor, y: Tensor) {
        let shard = shards[state.shard]
        let start = state.position + rank * batchSize * blockSize
        let count = batchSize * blockSize
        let batch = makeTokenBatch(batchSize, blockSize, device: device) { x, y in
            shard.copy(from: start, count: count, into: x)
            shard.copy(from: start + 1, count: count, into: y)
        }
        advance()
        return batch
    }

    /// Back to the start of the first usable shard.
    public func reset() {
        state = State(shard: nextUsable(after: -1), position: 0)
    }

    /// Continues from a saved `state`. Throws `.invalidState` when it does not fit these shards and sizes.
    public func restore(_ saved: State) throws(TokenDataError) {
        guard saved.shard >= 0 && saved.shard < shards.count else {
            throw TokenDataError(.invalidState, "the saved loader state names shard \(saved.shard) but there are \(shards.count) shards",
                                 hint: "resume with the same data folder the run was started with")
        }
        let shard = shards[saved.shard]
        guard !skippedShards.contains(saved.shard) else {
            throw TokenDataError(.invalidState, file: shard.path,
                                 "the saved loader state points into this shard, which is shorter than one step (\(groupedThousands(tokensPerStep + 1)) tokens)",
                                 hint: "resume with the batch size, block size and world size the run was started with")
        }
        guard saved.position >= 0 && saved.position + tokensPerStep + 1 <= shard.count else {
            throw TokenDataError(.invalidState, file: shard.path,
                                 "the saved loader position \(groupedThousands(saved.position)) leaves no room for a step of \(groupedThousands(tokensPerStep + 1)) tokens in \(groupedThousands(shard.count))",
                                 hint: "resume with the same data and the batch size, block size and world size the run was started with")
        }
        state = saved
    }

    private func advance() {
        state.position += tokensPerStep
        if state.position + tokensPerStep + 1 > shards[state.shard].count {
            state = State(shard: nextUsable(after: state.shard), position: 0)
        }
    }

    /// The first shard after `index` (wrapping) that holds a whole step.
    private func nextUsable(after index: Int) -> Int {
        var i = index
        repeat { i = (i + 1) % shards.count } while skippedShards.contains(i)
        return i
    }
}

// MARK: - Helpers shared by the loaders

/// A (B, T) batch pair from one buffer: `fill` writes x's B·T ids to its first pointer and y's to its second.
func makeTokenBatch(_ batchSize: Int, _ blockSize: Int, device: Device,
               fill: (UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Int64>) -> Void) -> (x: Tensor, y: Tensor) {
    let half = batchSize * blockSize
    let values = [Int64](unsafeUninitializedCapacity: 2 * half) { buffer, initialized in
        fill(buffer.baseAddress!, buffer.baseAddress! + half)
        initialized = 2 * half
    }
    let both = Tensor(values, shape: [2, batchSize, blockSize], device: device)  // (2, B, T)
    return (both[0], both[1])
}

func checkBatchShape(batchSize: Int, blockSize: Int) throws(TokenDataError) {
    guard batchSize >= 1, blockSize >= 1 else {
        throw TokenDataError(.invalidOption, "batch size \(batchSize) and block size \(blockSize) must both be at least 1")
    }
}

/// The file a source reads, for messages.
func sourceName(_ tokens: any TokenSource) -> String? {
    if let shard = tokens as? TokenShard { return shard.path }
    if let sharded = tokens as? ShardedTokens, let first = sharded.shards.first {
        return sharded.shards.count == 1 ? first.path : "\(first.path) and \(sharded.shards.count - 1) more shards"
    }
    return nil
}
