// Token shards: round trips in both widths, the exact llm.c byte layout, every header check, the atomic writer,
// and several shards read as one stream.

import Foundation
import Testing
@testable import MnemoData

@Suite struct TokenShardTests {
    @Test func uint16RoundTrip() throws {
        try DataFixtures.withFolder { folder in
            let tokens = [0, 1, 2, 50256, 65535, 7, 7, 13]
            let path = try DataFixtures.shard(tokens, named: "train_000000.bin", in: folder)
            let shard = try TokenShard(path: path)
            #expect(shard.format == .uint16)
            #expect(shard.count == tokens.count)
            #expect(shard.fileByteCount == 1024 + 2 * tokens.count)
            #expect(shard.tokens(in: 0..<tokens.count) == tokens)
            #expect(shard[3] == 50256)
            #expect(shard.tokens(in: 2..<5) == [2, 50256, 65535])
            var widened = [Int64](repeating: -1, count: 3)
            widened.withUnsafeMutableBufferPointer { shard.copy(from: 4, count: 3, into: $0.baseAddress!) }
            #expect(widened == [65535, 7, 7])
        }
    }

    /// The file is byte for byte what llm.c's `write_datafile(filename, toks)` writes (numpy int32 header, uint16).
    @Test func uint16BytesAreLlmcLayout() throws {
        try DataFixtures.withFolder { folder in
            let tokens = [5962, 22307, 25, 198, 65535]
            let path = try DataFixtures.shard(tokens, named: "a.bin", in: folder)
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let expected = DataFixtures.image(header: [20_240_520, 1, Int32(tokens.count)],
                                              payload: DataFixtures.uint16Bytes(tokens))
            #expect(written == expected)
            // And a file built by hand that way reads back.
            let handmade = try DataFixtures.write(expected, named: "b.bin", in: folder)
            #expect(try TokenShard(path: handmade).tokens(in: 0..<5) == tokens)
        }
    }

    @Test func uint32RoundTripUsesLlmcLlama3Header() throws {
        try DataFixtures.withFolder { folder in
            let tokens = [0, 65535, 65536, 128_255, Int(UInt32.max)]
            let path = try DataFixtures.shard(tokens, named: "wide.bin", in: folder, format: .uint32)
            let shard = try TokenShard(path: path)
            #expect(shard.format == .uint32)
            #expect(shard.tokens(in: 0..<tokens.count) == tokens)
            #expect(shard.fileByteCount == 1024 + 4 * tokens.count)
            let header = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)).prefix(12))
            #expect(header == DataFixtures.image(header: [20_240_801, 7, 5], payload: []).prefix(12).map { $0 })
        }
    }

    @Test func formatFitsVocabulary() {
        #expect(TokenShardFormat.fitting(vocabularySize: 65) == .uint16)
        #expect(TokenShardFormat.fitting(vocabularySize: 50257) == .uint16)
        #expect(TokenShardFormat.fitting(vocabularySize: 65536) == .uint16)
        #expect(TokenShardFormat.fitting(vocabularySize: 65537) == .uint32)
        #expect(TokenShardFormat.fitting(vocabularySize: 128_256) == .uint32)
        #expect(TokenShardFormat(magic: 20_240_520, version: 1) == .uint16)
        #expect(TokenShardFormat(magic: 20_240_801, version: 7) == .uint32)
        #expect(TokenShardFormat(magic: 20_240_520, version: 2) == nil)
    }

    @Test func emptyShardRoundTrip() throws {
        try DataFixtures.withFolder { folder in
            let path = try DataFixtures.shard([], named: "empty.bin", in: folder)
            let shard = try TokenShard(path: path)
            #expect(shard.count == 0)
            #expect(shard.fileByteCount == 1024)
        }
    }

    @Test func manyTokensCrossTheWritersBuffer() throws {
        try DataFixtures.withFolder { folder in
            let tokens = (0..<1_500_000).map { ($0 &* 7919) % 65536 }
            let path = try DataFixtures.shard(tokens, named: "big.bin", in: folder)
            let shard = try TokenShard(path: path)
            #expect(shard.count == tokens.count)
            #expect(shard.tokens(in: 0..<tokens.count) == tokens)
        }
    }

    // MARK: - The writer refuses, and leaves nothing behind

    @Test func writerRefusesIdsThatDoNotFit() throws {
        try DataFixtures.withFolder { folder in
            let path = (folder as NSString).appendingPathComponent("x.bin")
            let tooBig = try #require(throws: TokenDataError.self) {
                try TokenShard.write([1, 2, 65536], to: path, format: .uint16)
            }
            #expect(tooBig.kind == .tokenOutOfRange)
            #expect(tooBig.description.contains("65536") && tooBig.description.contains("position 2"))
            #expect(tooBig.hint?.contains("uint32") == true)
            let negative = try #require(throws: TokenDataError.self) {
                try TokenShard.write([-1], to: path, format: .uint32)
            }
            #expect(negative.kind == .tokenOutOfRange)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)  // no file, no temporary
        }
    }

    @Test func unfinishedWriterLeavesTheOldFile() throws {
        try DataFixtures.withFolder { folder in
            let path = try DataFixtures.shard([1, 2, 3], named: "s.bin", in: folder)
            do {
                let writer = try TokenShardWriter(path: path)
                try writer.append([9, 9, 9, 9])
                // dropped without finish()
            }
            #expect(try TokenShard(path: path).tokens(in: 0..<3) == [1, 2, 3])
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["s.bin"])
        }
    }

    @Test func writerIntoMissingFolder() throws {
        let error = try #require(throws: TokenDataError.self) {
            try TokenShard.write([1], to: "/nonexistent-mnemo-folder/x.bin")
        }
        #expect(error.kind == .io)
        #expect(error.hint == "the folder does not exist")
    }

    // MARK: - The reader's checks

    /// A corrupt file and the error it must give.
    struct Corruption: Sendable, CustomTestStringConvertible {
        let label: String
        let bytes: [UInt8]
        let kind: TokenDataError.Kind
        /// Words the message or hint must contain.
        let mentions: [String]
        var testDescription: String { label }
    }

    static let corruptions: [Corruption] = {
        let tokens = DataFixtures.uint16Bytes([1, 2, 3, 4])
        func image(_ header: [Int32], _ payload: [UInt8] = tokens) -> [UInt8] {
            DataFixtures.image(header: header, payload: payload)
        }
        return [
            Corruption(label: "empty file", bytes: [], kind: .headerTooSmall, mentions: ["0 bytes", "empty"]),
            Corruption(label: "header cut short", bytes: Array(image([20_240_520, 1, 4]).prefix(1000)),
                       kind: .headerTooSmall, mentions: ["1,000 bytes", "1,024-byte header"]),
            Corruption(label: "wrong magic", bytes: image([12345, 1, 4]), kind: .badMagic,
                       mentions: ["12345", "20240520", "mnemo data prepare"]),
            Corruption(label: "big-endian magic", bytes: image([Int32(20_240_520).byteSwapped, 1, 4]),
                       kind: .badMagic, mentions: ["big-endian"]),
            Corruption(label: "llm.c eval file", bytes: image([20_240_522, 1, 4]), kind: .badMagic,
                       mentions: ["evaluation file"]),
            Corruption(label: "headerless nanoGPT train.bin", bytes: DataFixtures.uint16Bytes(Array(0..<600)),
                       kind: .badMagic, mentions: ["nanoGPT"]),
            Corruption(label: "unknown version", bytes: image([20_240_520, 2, 4]), kind: .badVersion,
                       mentions: ["version 2", "version 1"]),
            Corruption(label: "uint32 magic with version 1", bytes: image([20_240_801, 1, 4]), kind: .badVersion,
                       mentions: ["version 7"]),
            Corruption(label: "negative count", bytes: image([20_240_520, 1, -4]), kind: .badTokenCount,
                       mentions: ["-4"]),
            Corruption(label: "truncated tokens", bytes: image([20_240_520, 1, 5]), kind: .sizeMismatch,
                       mentions: ["truncated", "1,032 bytes", "1,034 bytes"]),
            Corruption(label: "bytes after the tokens", bytes: image([20_240_520, 1, 3]), kind: .sizeMismatch,
                       mentions: ["2 bytes follow"]),
            Corruption(label: "uint32 data under a uint16 header", bytes: image([20_240_520, 1, 2]),
                       kind: .sizeMismatch, mentions: ["fits 2 uint32 tokens"]),
        ]
    }()

    @Test(arguments: corruptions) func corruptShardIsRefused(_ corruption: Corruption) throws {
        try DataFixtures.withFolder { folder in
            let path = try DataFixtures.write(corruption.bytes, named: "bad.bin", in: folder)
            let error = try #require(throws: TokenDataError.self) { _ = try TokenShard(path: path) }
            #expect(error.kind == corruption.kind)
            #expect(error.file == path)
            #expect(error.description.hasPrefix(path + ": "))
            for word in corruption.mentions {
                #expect(error.description.contains(word), "\(word) missing from: \(error)")
            }
        }
    }

    @Test func missingFileAndFolder() throws {
        try DataFixtures.withFolder { folder in
            let missing = try #require(throws: TokenDataError.self) {
                _ = try TokenShard(path: folder + "/nope.bin")
            }
            #expect(missing.kind == .missingFile)
            #expect(missing.description.contains("nope.bin: no such file. hint: check the path"))
            let notFile = try #require(throws: TokenDataError.self) { _ = try TokenShard(path: folder) }
            #expect(notFile.kind == .io)
        }
    }

    // MARK: - Several shards as one stream

    @Test func shardedTokensReadAcrossShardBoundaries() throws {
        try DataFixtures.withFolder { folder in
            try DataFixtures.shard(Array(0..<10), named: "train_000000.bin", in: folder)
            try DataFixtures.shard([], named: "train_000001.bin", in: folder)
            try DataFixtures.shard(Array(10..<13), named: "train_000002.bin", in: folder)
            try DataFixtures.shard(Array(13..<30), named: "train_000003.bin", in: folder)
            try DataFixtures.shard([999], named: "val_000000.bin", in: folder)
            let paths = try TokenShard.paths(in: folder, split: "train")
            #expect(paths.map { ($0 as NSString).lastPathComponent }
                == ["train_000000.bin", "train_000001.bin", "train_000002.bin", "train_000003.bin"])
            let stream = try ShardedTokens(directory: folder, split: "train")
            #expect(stream.count == 30)
            for (start, length) in [(0, 30), (8, 5), (10, 3), (9, 2), (12, 18), (29, 1), (10, 0)] {
                var out = [Int64](repeating: -1, count: length)
                out.withUnsafeMutableBufferPointer { stream.copy(from: start, count: length, into: $0.baseAddress!) }
                #expect(out == (start..<(start + length)).map(Int64.init), "window \(start), \(length)")
            }
        }
    }

    @Test func shardPathsErrors() throws {
        try DataFixtures.withFolder { folder in
            let missing = try #require(throws: TokenDataError.self) {
                _ = try TokenShard.paths(in: folder + "/absent", split: "train")
            }
            #expect(missing.kind == .missingFile)
            try DataFixtures.shard([1], named: "val_000000.bin", in: folder)
            let none = try #require(throws: TokenDataError.self) { _ = try TokenShard.paths(in: folder, split: "train") }
            #expect(none.kind == .noShards)
            #expect(none.hint?.contains("val_000000.bin") == true)
        }
    }
}
