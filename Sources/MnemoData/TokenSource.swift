// TokenSource.swift — what the batch loaders copy windows from: one shard, several shards read end to end, or
// an in-memory array of ids.

import Foundation

/// A read-only stream of token ids with random access.
public protocol TokenSource: Sendable {
    /// The number of tokens.
    var count: Int { get }
    /// Copies the ids `start..<start + count`, widened to Int64, to `destination`. The range must be in bounds.
    func copy(from start: Int, count: Int, into destination: UnsafeMutablePointer<Int64>)
}

extension TokenShard: TokenSource {
    public func copy(from start: Int, count n: Int, into destination: UnsafeMutablePointer<Int64>) {
        precondition(start >= 0 && n >= 0 && start + n <= count,
                     "TokenShard.copy: \(start)..<\(start + n) is outside 0..<\(count) in \(path)")
        switch tokenPointer {
        case .uint16(let source): for i in 0..<n { destination[i] = Int64(source[start + i]) }
        case .uint32(let source): for i in 0..<n { destination[i] = Int64(source[start + i]) }
        }
    }
}

extension Array: TokenSource where Element == Int {
    public func copy(from start: Int, count n: Int, into destination: UnsafeMutablePointer<Int64>) {
        precondition(start >= 0 && n >= 0 && start + n <= count,
                     "[Int].copy: \(start)..<\(start + n) is outside 0..<\(count)")
        withUnsafeBufferPointer { source in
            for i in 0..<n { destination[i] = Int64(source[start + i]) }
        }
    }
}

/// Several shards read as one stream, in the order given (the shards of one split, as `mnemo data prepare`
/// cuts a corpus into pieces of at most `--shard-size` tokens). Windows may span two shards.
public final class ShardedTokens: TokenSource, @unchecked Sendable {
    public let shards: [TokenShard]
    /// The total number of tokens.
    public let count: Int
    /// `starts[i]` is the stream position of shard i's first token.
    private let starts: [Int]

    public init(_ shards: [TokenShard]) {
        self.shards = shards
        var starts: [Int] = []
        var total = 0
        for shard in shards {
            starts.append(total)
            total += shard.count
        }
        self.starts = starts
        count = total
    }

    /// Opens and validates every shard in `paths`.
    public convenience init(paths: [String]) throws(TokenDataError) {
        var shards: [TokenShard] = []
        for path in paths { shards.append(try TokenShard(path: path)) }
        self.init(shards)
    }

    /// Opens the shards of one split of a prepared folder (`DIR/split_*.bin`, sorted by name).
    public convenience init(directory: String, split: String) throws(TokenDataError) {
        try self.init(paths: TokenShard.paths(in: directory, split: split))
    }

    public func copy(from start: Int, count n: Int, into destination: UnsafeMutablePointer<Int64>) {
        precondition(start >= 0 && n >= 0 && start + n <= count,
                     "ShardedTokens.copy: \(start)..<\(start + n) is outside 0..<\(count)")
        var shard = shardIndex(containing: start)
        var position = start
        var done = 0
        while done < n {
            let local = position - starts[shard]
            let take = min(n - done, shards[shard].count - local)
            if take > 0 { shards[shard].copy(from: local, count: take, into: destination + done) }
            done += take
            position += take
            shard += 1
        }
    }

    /// The last shard whose start is at or before `position` and that holds tokens there.
    private func shardIndex(containing position: Int) -> Int {
        var low = 0, high = starts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if starts[mid] <= position { low = mid } else { high = mid - 1 }
        }
        // Skip empty shards that share the start position of the next one.
        while low < shards.count - 1 && shards[low].count == 0 { low += 1 }
        return low
    }
}

extension TokenShard {
    /// The shard files of one split in a folder: the files named `<split>_*.bin`, sorted by name
    /// (`train_000000.bin`, `train_000001.bin`, …). Throws when the folder is missing or holds none.
    public static func paths(in directory: String, split: String) throws(TokenDataError) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder) else {
            throw TokenDataError(.missingFile, file: directory, "no such folder",
                                 hint: "prepare one with `mnemo data prepare INPUT --out \(directory)`")
        }
        guard isFolder.boolValue else {
            throw TokenDataError(.io, file: directory, "not a folder",
                                 hint: "give the folder that holds \(split)_000000.bin")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw TokenDataError(.io, file: directory, "cannot list the folder: \(error.localizedDescription)")
        }
        let matching = names.filter { $0.hasPrefix(split + "_") && $0.hasSuffix(".bin") }.sorted()
        guard !matching.isEmpty else {
            let present = names.filter { $0.hasSuffix(".bin") }.sorted()
            throw TokenDataError(
                .noShards, file: directory, "no \(split)_*.bin shards in the folder",
                hint: present.isEmpty ? "prepare the data with `mnemo data prepare`"
                    : "the folder holds \(present.prefix(4).joined(separator: ", "))\(present.count > 4 ? ", …" : "")")
        }
        return matching.map { (directory as NSString).appendingPathComponent($0) }
    }

    /// The typed token pointer, for tight copy loops.
    enum TokenPointer {
        case uint16(UnsafePointer<UInt16>)
        case uint32(UnsafePointer<UInt32>)
    }
}
