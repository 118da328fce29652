// TokenShard.swift — llm.c's `.bin` token shards: a validated, memory-mapped reader and an atomic writer.
//
// Layout (all little-endian): a header of 256 int32 values — [0] the magic number, [1] the version, [2] the token
// count, the rest zero — then the tokens, back to back, nothing after them. Two token widths exist, each named
// by its own (magic, version) pair exactly as llm.c's `dev/data/data_common.py` writes them:
//
//     uint16 tokens   magic 20240520, version 1   (llm.c's "gpt-2" files; vocabularies up to 65,536 ids)
//     uint32 tokens   magic 20240801, version 7   (llm.c's "llama-3" files; larger vocabularies)
//
// So a uint32 shard is not "version 2" of the GPT-2 magic: llm.c already gave that width its own pair, and
// writing the same pair keeps Mnemo's shards readable by llm.c's tools (its C training loop for GPT-2 reads
// only the uint16 pair; its Llama 3 branch reads the uint32 one).
//
// The reader maps the file read-only and, before a token can be read, checks: the file is at least the
// 1,024-byte header, the magic is one of the two above, the version is the one that goes with it, the count is
// not negative, and the file size is exactly header + count × token size. Each failure names the file, what is
// wrong and a hint. It does not check token values against a vocabulary (that is the model's business) and
// cannot defend against another process truncating the file while it is mapped (reads would raise SIGBUS);
// the writer here replaces files by rename, so files it rewrites never shrink under a reader.
//
// The writer streams tokens to a temporary file beside PATH and writes the header last; AtomicFile (MnemoSupport)
// fsyncs it, renames it over PATH and fsyncs the folder: a reader sees the old file or the complete new one. It refuses ids that do not fit the width
// and more tokens than the int32 count can declare (2,147,483,647). Big-endian hosts are not supported.

import Foundation
import MnemoSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if _endian(big)
#error("TokenShard reads and writes little-endian files in place; big-endian hosts are not supported")
#endif

/// The token width of a shard, with the (magic, version) header pair that declares it.
public enum TokenShardFormat: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// 2-byte tokens, ids 0...65,535: magic 20240520, version 1 (llm.c GPT-2 shards).
    case uint16
    /// 4-byte tokens, ids 0...4,294,967,295: magic 20240801, version 7 (llm.c Llama 3 shards).
    case uint32

    public var magic: Int32 { self == .uint16 ? 20_240_520 : 20_240_801 }
    public var version: Int32 { self == .uint16 ? 1 : 7 }
    /// Bytes per token.
    public var tokenByteCount: Int { self == .uint16 ? 2 : 4 }
    /// The largest id the width holds.
    public var maxTokenID: Int { self == .uint16 ? Int(UInt16.max) : Int(UInt32.max) }
    public var description: String { rawValue }

    /// The narrowest format whose ids cover a vocabulary of `vocabularySize` ids (0..<vocabularySize).
    public static func fitting(vocabularySize: Int) -> TokenShardFormat {
        vocabularySize <= Int(UInt16.max) + 1 ? .uint16 : .uint32
    }

    /// The format a (magic, version) pair declares; nil for any other pair.
    public init?(magic: Int32, version: Int32) {
        guard let format = Self.allCases.first(where: { $0.magic == magic && $0.version == version }) else {
            return nil
        }
        self = format
    }
}

/// A validated, memory-mapped token shard (read-only; may be shared between threads).
///
///     let shard = try TokenShard(path: "data/shakespeare/train_000000.bin")
///     print(shard.count, shard.format, shard[0])
public final class TokenShard: @unchecked Sendable {
    /// 256 int32 values.
    public static let headerByteCount = 1024
    /// The largest count the header's int32 field can declare.
    public static let maxTokenCount = Int(Int32.max)

    /// The path the shard was opened with.
    public let path: String
    public let format: TokenShardFormat
    /// The number of tokens.
    public let count: Int
    /// The size of the file in bytes (header + count × token size).
    public let fileByteCount: Int

    private let mapping: UnsafeRawPointer
    /// The tokens in the mapping, bound to their width.
    let tokenPointer: TokenPointer

    /// Opens, maps and validates the shard at `path`; throws a `TokenDataError` naming the file and the problem.
    public init(path: String) throws(TokenDataError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT {
                throw TokenDataError(.missingFile, file: path, "no such file",
                                     hint: "check the path; `mnemo data prepare` writes DIR/train_000000.bin and DIR/val_000000.bin")
            }
            throw TokenDataError(.io, file: path, "cannot open the file: \(errnoDescription(code))")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw TokenDataError(.io, file: path, "cannot stat the file: \(errnoDescription(errno))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw TokenDataError(.io, file: path, "not a regular file",
                                 hint: "give the path of a .bin token shard, not of a folder or a device")
        }
        let size = Int(status.st_size)
        guard size >= Self.headerByteCount else {
            throw TokenDataError(
                .headerTooSmall, file: path,
                "the file has \(groupedThousands(size)) bytes, fewer than the \(groupedThousands(Self.headerByteCount))-byte header (256 int32 values)",
                hint: size == 0 ? "the file is empty; prepare the data again"
                    : "this is not an llm.c token shard, or it was cut short; prepare the data again")
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              mapped != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            throw TokenDataError(.io, file: path, "cannot memory-map the file: \(errnoDescription(errno))")
        }
        let base = UnsafeRawPointer(mapped)
        do {
            let layout = try Self.validate(header: base, fileByteCount: size, file: path)
            format = layout.format
            count = layout.count
        } catch {
            munmap(mapped, size)
            throw error
        }
        mapping = base
        let start = base + Self.headerByteCount  // page-aligned + 1,024: aligned for both widths
        switch format {
        case .uint16: tokenPointer = .uint16(start.bindMemory(to: UInt16.self, capacity: count))
        case .uint32: tokenPointer = .uint32(start.bindMemory(to: UInt32.self, capacity: count))
        }
        fileByteCount = size
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: mapping), fileByteCount)
    }

    /// The token at `index` (0..<count).
    public subscript(index: Int) -> Int {
        precondition(index >= 0 && index < count, "TokenShard: index \(index) is outside 0..<\(count) in \(path)")
        switch tokenPointer {
        case .uint16(let tokens): return Int(tokens[index])
        case .uint32(let tokens): return Int(tokens[index])
        }
    }

    /// The tokens in `range`, as Ints.
    public func tokens(in range: Range<Int>) -> [Int] {
        precondition(range.lowerBound >= 0 && range.upperBound <= count,
                     "TokenShard: range \(range) is outside 0..<\(count) in \(path)")
        return [Int](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            let start = range.lowerBound
            switch tokenPointer {
            case .uint16(let source): for i in 0..<range.count { buffer[i] = Int(source[start + i]) }
            case .uint32(let source): for i in 0..<range.count { buffer[i] = Int(source[start + i]) }
            }
            initialized = range.count
        }
    }

    /// Writes `tokens` as a shard at `path`, atomically (see `TokenShardWriter`).
    public static func write(_ tokens: some Sequence<Int>, to path: String, format: TokenShardFormat = .uint16)
        throws(TokenDataError)
    {
        let writer = try TokenShardWriter(path: path, format: format)
        try writer.append(tokens)
        try writer.finish()
    }

    // MARK: - Validation

    private static func validate(header: UnsafeRawPointer, fileByteCount size: Int, file: String)
        throws(TokenDataError) -> (format: TokenShardFormat, count: Int)
    {
        func value(_ i: Int) -> Int32 { Int32(littleEndian: header.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        let magic = value(0), version = value(1), declared = value(2)
        let known = "20240520 (uint16 tokens) or 20240801 (uint32 tokens)"
        guard let expected = TokenShardFormat.allCases.first(where: { $0.magic == magic }) else {
            var hint = "this is not an llm.c token shard; nanoGPT's headerless train.bin/val.bin files are not either: "
                + "prepare the text with `mnemo data prepare`"
            if TokenShardFormat.allCases.contains(where: { $0.magic == magic.byteSwapped }) {
                hint = "the header is big-endian; shards are little-endian"
            } else if magic == 20_240_522 {
                hint = "20240522 marks an llm.c evaluation file (HellaSwag, MMLU), not a token shard"
            }
            throw TokenDataError(.badMagic, file: file, "the magic number is \(magic), not \(known)", hint: hint)
        }
        guard let format = TokenShardFormat(magic: magic, version: version) else {
            throw TokenDataError(
                .badVersion, file: file,
                "version \(version) with magic \(magic); this reader knows version \(expected.version) (\(expected) tokens) for that magic",
                hint: "the file was written by a newer or different tool, or its header is damaged")
        }
        guard declared >= 0 else {
            throw TokenDataError(.badTokenCount, file: file, "the header declares \(declared) tokens",
                                 hint: "the header is damaged; prepare the data again")
        }
        let count = Int(declared)
        let needed = headerByteCount + count * format.tokenByteCount
        guard size == needed else {
            let what = "the file has \(groupedThousands(size)) bytes but its header declares \(groupedThousands(count)) \(format) tokens, "
                + "which need \(groupedThousands(needed)) bytes"
            if size < needed {
                throw TokenDataError(.sizeMismatch, file: file, what + " (the file is truncated)",
                                     hint: "the shard was not written completely; prepare it again")
            }
            var hint = "the header's count is wrong or bytes were appended; prepare the data again"
            let other: TokenShardFormat = format == .uint16 ? .uint32 : .uint16
            if size == headerByteCount + count * other.tokenByteCount {
                hint = "the size fits \(count) \(other) tokens: the header's magic and version do not match the data"
            }
            throw TokenDataError(.sizeMismatch, file: file,
                                 what + " (\(groupedThousands(size - needed)) bytes follow the declared tokens)", hint: hint)
        }
        return (format, count)
    }
}

/// Writes one token shard by streaming tokens to a temporary file; `finish()` puts it in place atomically.
///
///     let writer = try TokenShardWriter(path: "out/train_000000.bin", format: .uint16)
///     try writer.append(ids)
///     try writer.finish()
///
/// A writer that is not finished (dropped, or after an error) removes its temporary file and leaves `path` as
/// it was. After an error only dropping the writer is allowed. One thread at a time.
public final class TokenShardWriter {
    public let path: String
    public let format: TokenShardFormat
    /// Tokens appended so far.
    public private(set) var count = 0

    private let file: AtomicFile.Writer
    private var finished = false
    private var failed = false
    private var staging: [UInt8] = []

    public init(path: String, format: TokenShardFormat = .uint16) throws(TokenDataError) {
        self.path = path
        self.format = format
        do { file = try AtomicFile.Writer(path: path) } catch { throw Self.dataError(error) }
        staging.reserveCapacity(1 << 20)
        // A zero header for now; `finish()` writes the real one once the count is known.
        staging.append(contentsOf: repeatElement(0, count: TokenShard.headerByteCount))
        do { try flush() } catch { file.discard(); throw error }
    }

    deinit { if !finished { file.discard() } }

    /// Appends token ids; each must be in 0...format.maxTokenID.
    public func append(_ tokens: some Sequence<Int>) throws(TokenDataError) {
        precondition(!finished && !failed, "TokenShardWriter.append: the writer for \(path) is finished or failed")
        let limit = format.maxTokenID
        let width = format.tokenByteCount
        for token in tokens {
            guard token >= 0 && token <= limit else {
                failed = true
                throw TokenDataError(
                    .tokenOutOfRange, file: path,
                    "token \(token) at position \(groupedThousands(count)) does not fit in \(format) (ids 0...\(groupedThousands(limit)))",
                    hint: format == .uint16 ? "a vocabulary above 65,536 ids needs the uint32 format" : nil)
            }
            guard count < TokenShard.maxTokenCount else {
                failed = true
                throw TokenDataError(.tooManyTokens, file: path,
                                     "more than \(groupedThousands(TokenShard.maxTokenCount)) tokens, the most an int32 header count can declare",
                                     hint: "write smaller shards")
            }
            var value = UInt32(token)
            for _ in 0..<width {
                staging.append(UInt8(truncatingIfNeeded: value))
                value >>= 8
            }
            count += 1
            if staging.count >= 1 << 20 {
                do { try flush() } catch { failed = true; throw error }
            }
        }
    }

    /// Writes the header, then puts the file in place (AtomicFile: fsync, rename over `path`, fsync the folder).
    public func finish() throws(TokenDataError) {
        precondition(!finished && !failed, "TokenShardWriter.finish: the writer for \(path) is finished or failed")
        do throws(TokenDataError) {
            try flush()
            var header = [Int32](repeating: 0, count: TokenShard.headerByteCount / 4)
            header[0] = format.magic.littleEndian
            header[1] = format.version.littleEndian
            header[2] = Int32(count).littleEndian
            do {
                try file.write(header.withUnsafeBytes { Array($0) }, at: 0)
                try file.commit()
            } catch {
                throw Self.dataError(error)
            }
        } catch {
            failed = true
            file.discard()
            throw error
        }
        finished = true
    }

    private func flush() throws(TokenDataError) {
        defer { staging.removeAll(keepingCapacity: true) }
        do { try file.write(staging) } catch { throw Self.dataError(error) }
    }

    /// An AtomicFile failure as this API's error: the same file, message and hint.
    private static func dataError(_ error: AtomicFileError) -> TokenDataError {
        TokenDataError(.io, file: error.path, error.message, hint: error.hint)
    }
}

/// strerror's text with the number, e.g. "No such file or directory (errno 2)".
func errnoDescription(_ code: Int32) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}
