// Batch loaders: random windows (nanoGPT, same starts as PyTorch), the sequential walk over shards with ranks
// (build-nanogpt), exact resume, and the evaluation pass. Token streams are 0, 1, 2, … (or offset per shard), so
// a window's values say where it was cut from.

import Foundation
import Testing
import Torch
@testable import MnemoData

@Suite struct RandomWindowTests {
    @Test func targetsAreInputsShiftedByOne() throws {
        try DataFixtures.withFolder { folder in
            let path = try DataFixtures.shard(Array(0..<5000), named: "train_000000.bin", in: folder)
            let loader = RandomWindowLoader(try TokenShard(path: path))
            let (x, y) = try loader.batch(8, 16, generator: Generator(seed: 7))
            #expect(x.shape == [8, 16] && y.shape == [8, 16])
            #expect(x.dtype == .int64 && y.dtype == .int64)
            let xs = x.toArray(Int64.self), ys = y.toArray(Int64.self)
            for row in 0..<8 {
                let window = Array(xs[(row * 16)..<((row + 1) * 16)])
                let start = window[0]
                #expect(window == (0..<16).map { start + Int64($0) })         // a contiguous run of the stream
                #expect(Array(ys[(row * 16)..<((row + 1) * 16)]) == window.map { $0 + 1 })
                #expect(start >= 0 && start + 16 < 5000)                      // y's last token is in the stream
            }
        }
    }

    /// nanoGPT's `torch.randint(len(data) - block_size, (batch_size,))` with `torch.Generator().manual_seed(1337)`:
    /// PyTorch 2.15 gives [215, 549, 428, 3152] then [4095, 1753, 4071, 4394] for len 5000, block 16, batch 4.
    @Test func windowStartsMatchPyTorch() throws {
        let loader = RandomWindowLoader(Array(0..<5000))
        let generator = Generator(seed: 1337)
        let first = try loader.batch(4, 16, generator: generator).x[.all, 0].toArray(Int64.self)
        let second = try loader.batch(4, 16, generator: generator).x[.all, 0].toArray(Int64.self)
        #expect(first == [215, 549, 428, 3152])
        #expect(second == [4095, 1753, 4071, 4394])
    }

    @Test func sameSeedSameBatch() throws {
        let loader = RandomWindowLoader((0..<300).map { ($0 * 37) % 101 })
        let a = try loader.batch(5, 9, generator: Generator(seed: 3)).x.toArray(Int64.self)
        let b = try loader.batch(5, 9, generator: Generator(seed: 3)).x.toArray(Int64.self)
        #expect(a == b)
    }

    @Test func smallestStreamHasOneWindow() throws {
        let loader = RandomWindowLoader([10, 11, 12, 13, 14])
        let (x, y) = try loader.batch(3, 4, generator: Generator(seed: 0))
        #expect(x.toArray(Int64.self) == [10, 11, 12, 13, 10, 11, 12, 13, 10, 11, 12, 13])
        #expect(y.toArray(Int64.self) == [11, 12, 13, 14, 11, 12, 13, 14, 11, 12, 13, 14])
        let error = try #require(throws: TokenDataError.self) { _ = try loader.batch(1, 5) }
        #expect(error.kind == .notEnoughTokens)
    }

    @Test func windowsMaySpanShards() throws {
        try DataFixtures.withFolder { folder in
            try DataFixtures.shard(Array(0..<7), named: "train_000000.bin", in: folder)
            try DataFixtures.shard(Array(7..<12), named: "train_000001.bin", in: folder)
            let loader = RandomWindowLoader(try ShardedTokens(directory: folder, split: "train"))
            for seed in 0..<20 {
                let (x, y) = try loader.batch(2, 6, generator: Generator(seed: UInt64(seed)))
                let xs = x.toArray(Int64.self), ys = y.toArray(Int64.self)
                #expect(zip(xs, ys).allSatisfy { $1 == $0 + 1 })
            }
        }
    }
}

@Suite struct SequentialLoaderTests {
    /// Rows of x as [Int] runs.
    static func rows(_ x: Tensor) -> [[Int]] {
        let values = x.toArray(Int.self)
        let width = x.size(1)
        return stride(from: 0, to: values.count, by: width).map { Array(values[$0..<($0 + width)]) }
    }

    @Test func walksOneShardInOrder() throws {
        try DataFixtures.withFolder { folder in
            try DataFixtures.shard(Array(0..<100), named: "train_000000.bin", in: folder)
            let loader = try SequentialLoader(directory: folder, split: "train", batchSize: 2, blockSize: 4)
            let (x0, y0) = loader.next()
            #expect(Self.rows(x0) == [[0, 1, 2, 3], [4, 5, 6, 7]])
            #expect(Self.rows(y0) == [[1, 2, 3, 4], [5, 6, 7, 8]])
            #expect(loader.state == .init(shard: 0, position: 8))
            let (x1, _) = loader.next()
            #expect(Self.rows(x1) == [[8, 9, 10, 11], [12, 13, 14, 15]])
        }
    }

    /// Two ranks: each step's two slices are disjoint and side by side; over several steps, rank 0 and rank 1
    /// alternate through the stream with nothing read twice and nothing skipped.
    @Test func twoRanksInterleaveDisjointWindows() throws {
        try DataFixtures.withFolder { folder in
            try DataFixtures.shard(Array(0..<1000), named: "train_000000.bin", in: folder)
            let ranks = try (0..<2).map {
                try SequentialLoader(directory: folder, split: "train", batchSize: 3, blockSize: 5, rank: $0, worldSize: 2)
            }
            var seen: [Int] = []
            for step in 0..<6 {
                for (rank, loader) in ranks.enumerated() {
                    let (x, y) = loader.next()
                    let flat = x.toArray(Int.self)
                    #expect(flat.first == step * 30 + rank * 15)
                    #expect(y.toArray(Int.self) == flat.map { $0 + 1 })
                    seen += flat
                }
                #expect(ranks[0].state == ranks[1].state)  // the state is the same on every rank
            }
            #expect(seen == Array(0..<180))
        }
    }

    /// Shard sizes 100 and 50, steps of 8 tokens (+1 for the last target): 12 steps in the first shard (the last
    /// at 88), 6 in the second (the last at 40), then back to the first.
    @Test func movesToTheNextShardAndWrapsAround() throws {
        try DataFixtures.withFolder { folder in
            try DataFixtures.shard(Array(0..<100), named: "train_000000.bin", in: folder)
            try DataFixtures.shard(Array(1000..<1050), named: "train_000001.bin", in: folder)
            let loader = try SequentialLoader(directory: folder, split: "train", batchSize: 2, blockSize: 4)
            var firsts: [Int] = []
            for _ in 0..<(12 + 6 + 2) { firsts.append(loader.next().x.toArray(Int.self)[0]) }
            #expect(Array(firsts[0..<12]) == Array(stride(from: 0, through: 88, by: 8)))
            #expect(Array(firsts[12..<18]) == Array(stride(from: 1000, through: 1040, by: 8)))
            #expect(Array(firsts[18...]) == [0, 8])
        }
    }

    @Test func skipsShardsTooShortForAStep() throws {
        try DataFixtures.withFolder { folder in
            try DataFixtures.shard(Array(0..<5), named: "train_000000.bin", in: folder)
            try DataFixtures.shard(Array(100..<120), named: "train_000001.bin", in: folder)
            let loader = try SequentialLoader(directory: folder, split: "train", batchSize: 1, blockSize: 8)
            #expect(loader.skippedShards == [0])
            #expect(loader.state == .init(shard: 1, position: 0))
            #expect(loader.next().x.toArray(Int.self)[0] == 100)
            #expect(loader.next().x.toArray(Int.self)[0] == 108)
            #expect(loader.next().x.toArray(Int.self)[0] == 100)  // 16 + 9 > 20: wraps, past the short shard
            loader.reset()
            #expect(loader.state == .init(shard: 1, position: 0))
        }
    }

    @Test func savedStateResumesExactly() throws {
        try DataFixtures.withFolder { folder in
            try DataFixtures.shard((0..<300).map { ($0 * 17) % 251 }, named: "train_000000.bin", in: folder)
            try DataFixtures.shard((0..<200).map { 251 + $0 % 13 }, named: "train_000001.bin", in: folder)
            let make = {
                try SequentialLoader(directory: folder, split: "train", batchSize: 4, blockSize: 8, rank: 1, worldSize: 2)
            }
            let original = try make()
            for _ in 0..<3 { _ = original.next() }
            let saved = try JSONEncoder().encode(original.state)  // as a checkpoint would keep it
            var expected: [[Int]] = []
            for _ in 0..<12 {
                let (x, y) = original.next()
                expected.append(x.toArray(Int.self) + y.toArray(Int.self))
            }
            let resumed = try make()
            try resumed.restore(JSONDecoder().decode(SequentialLoader.State.self, from: saved))
            for (i, batch) in expected.enumerated() {
                let (x, y) = resumed.next()
                #expect(x.toArray(Int.self) + y.toArray(Int.self) == batch, "batch \(i) after resuming")
            }
            #expect(resumed.state == original.state)
            resumed.reset()
            #expect(resumed.state == .init(shard: 0, position: 0))
        }
    }

    @Test func invalidStatesAreRefused() throws {
        try DataFixtures.withFolder { folder in
            try DataFixtures.shard(Array(0..<100), named: "train_000000.bin", in: folder)
            let loader = try SequentialLoader(directory: folder, split: "train", batchSize: 2, blockSize: 4)
            for state in [SequentialLoader.State(shard: 1, position: 0), .init(shard: 0, position: -1),
                          .init(shard: 0, position: 92)] {
                let error = try #require(throws: TokenDataError.self) { try loader.restore(state) }
                #expect(error.kind == .invalidState, "\(state)")
            }
            try loader.restore(.init(shard: 0, position: 91))  // 91 + 8 + 1 = 100: the last step that fits
            #expect(loader.next().x.toArray(Int.self)[0] == 91)
            #expect(loader.state == .init(shard: 0, position: 0))
        }
    }

    @Test func settingsAndDataThatCannotWork() throws {
        try DataFixtures.withFolder { folder in
            let path = try DataFixtures.shard(Array(0..<20), named: "train_000000.bin", in: folder)
            let shard = try TokenShard(path: path)
            let badRank = try #require(throws: TokenDataError.self) {
                _ = try SequentialLoader(shards: [shard], batchSize: 1, blockSize: 4, rank: 2, worldSize: 2)
            }
            #expect(badRank.kind == .invalidOption)
            let tooShort = try #require(throws: TokenDataError.self) {
                _ = try SequentialLoader(shards: [shard], batchSize: 2, blockSize: 10)
            }
            #expect(tooShort.kind == .notEnoughTokens)
            #expect(tooShort.description.contains("21") && tooShort.file == path)
            let none = try #require(throws: TokenDataError.self) {
                _ = try SequentialLoader(shards: [], batchSize: 1, blockSize: 1)
            }
            #expect(none.kind == .noShards)
        }
    }
}

@Suite struct EvaluationBatchesTests {
    /// 103 tokens, T = 10: windows at 0, 10, …, 90 (the last needs token 100 as a target); 2 tokens left over.
    @Test func fullPassInConsecutiveWindows() throws {
        let pass = try EvaluationBatches(Array(0..<103), batchSize: 4, blockSize: 10)
        #expect(pass.windowCount == 10)
        #expect(pass.batchCount == 3)
        #expect(pass.predictedTokenCount == 100)
        var xs: [Int] = [], ys: [Int] = [], rows: [Int] = []
        for (x, y) in pass {
            rows.append(x.size(0))
            #expect(x.size(1) == 10 && y.shape == x.shape)
            xs += x.toArray(Int.self)
            ys += y.toArray(Int.self)
        }
        #expect(rows == [4, 4, 2])
        #expect(xs == Array(0..<100))
        #expect(ys == Array(1...100))
        // A second pass gives the same batches.
        #expect(pass.map { $0.x.toArray(Int.self) }.joined().map { $0 } == xs)
    }

    @Test func ranksShareThePass() throws {
        let tokens = Array(0..<251)
        var covered: [Int] = []
        for rank in 0..<3 {
            let pass = try EvaluationBatches(tokens, batchSize: 2, blockSize: 10, rank: rank, worldSize: 3)
            #expect(pass.localBatchCount == [5, 4, 4][rank])  // 25 windows, 13 batches
            var count = 0
            for (x, _) in pass {
                covered += x.toArray(Int.self)
                count += 1
            }
            #expect(count == pass.localBatchCount)
        }
        #expect(covered.sorted() == Array(0..<250))
    }

    @Test func tooFewTokens() throws {
        let error = try #require(throws: TokenDataError.self) {
            _ = try EvaluationBatches(Array(0..<8), batchSize: 1, blockSize: 8)
        }
        #expect(error.kind == .notEnoughTokens)
        #expect(try EvaluationBatches(Array(0..<9), batchSize: 1, blockSize: 8).windowCount == 1)
    }
}
