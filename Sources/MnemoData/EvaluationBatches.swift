// EvaluationBatches.swift — one deterministic pass over a split for evaluation: consecutive, non-overlapping
// windows of T tokens (window w is x = tokens[w·T ..< w·T + T], y = the same shifted by one), B per batch.
//
// Every token but the first is predicted exactly once, except the tail that cannot fill a whole window (fewer
// than T tokens after the last window), which is left out. The last batch holds the windows that remain, so it
// may have fewer than B rows: weight batch losses by `x.size(0)` (or sum token losses) for an exact mean.
// With worldSize W, rank r yields batches r, r + W, r + 2W, … of the same sequence, so the ranks together cover
// the pass once.

import MnemoSupport
import Torch

/// A full evaluation pass over a token stream, as a Sequence of (x, y) batches (int64, (B', T), B' ≤ B).
///
///     for (x, y) in try EvaluationBatches(valTokens, batchSize: 8, blockSize: 256, device: .best) { … }
public struct EvaluationBatches: Sequence {
    public let tokens: any TokenSource
    public let batchSize: Int
    public let blockSize: Int
    public let rank: Int
    public let worldSize: Int
    public let device: Device

    /// Whole windows in the stream: (count − 1) / T.
    public var windowCount: Int { (tokens.count - 1) / blockSize }
    /// Batches in the pass, over all ranks.
    public var batchCount: Int { (windowCount + batchSize - 1) / batchSize }
    /// Batches this rank yields.
    public var localBatchCount: Int { batchCount > rank ? (batchCount - rank + worldSize - 1) / worldSize : 0 }
    /// Tokens predicted in the whole pass (all ranks): windowCount · T.
    public var predictedTokenCount: Int { windowCount * blockSize }

    /// Throws `.notEnoughTokens` when the stream cannot fill one window (T + 1 tokens).
    public init(_ tokens: any TokenSource, batchSize: Int, blockSize: Int, rank: Int = 0, worldSize: Int = 1,
                device: Device = .cpu) throws(TokenDataError) {
        try checkBatchShape(batchSize: batchSize, blockSize: blockSize)
        guard worldSize >= 1, rank >= 0, rank < worldSize else {
            throw TokenDataError(.invalidOption, "rank \(rank) is not in 0..<worldSize (\(worldSize))")
        }
        guard tokens.count > blockSize else {
            throw TokenDataError(
                .notEnoughTokens, file: sourceName(tokens),
                "\(groupedThousands(tokens.count)) tokens are too few for one evaluation window of T = \(blockSize) tokens and its target",
                hint: "use a shorter block size or a larger validation split (--val-fraction)")
        }
        self.tokens = tokens
        self.batchSize = batchSize
        self.blockSize = blockSize
        self.rank = rank
        self.worldSize = worldSize
        self.device = device
    }

    public func makeIterator() -> Iterator { Iterator(pass: self, batch: rank) }

    public struct Iterator: IteratorProtocol {
        let pass: EvaluationBatches
        /// The index (over all ranks) of the next batch to yield.
        var batch: Int

        public mutating func next() -> (x: Tensor, y: Tensor)? {
            guard batch < pass.batchCount else { return nil }
            let T = pass.blockSize
            let first = batch * pass.batchSize
            let rows = Swift.min(pass.batchSize, pass.windowCount - first)
            let tokens = pass.tokens
            batch += pass.worldSize
            // Consecutive windows are one run of rows·T tokens: x and y are each a single copy.
            return makeTokenBatch(rows, T, device: pass.device) { x, y in
                tokens.copy(from: first * T, count: rows * T, into: x)
                tokens.copy(from: first * T + 1, count: rows * T, into: y)
            }
        }
    }
}
