// Helpers shared by the shard, loader and prepare tests: temporary folders, shard images built byte by byte,
// the shared data folder, and a tiny character tokenizer (nanoGPT's shakespeare_char rule) that needs no files.

import Foundation
import Testing
@testable import MnemoData

enum DataFixtures {
    /// A fresh folder under the system temporary directory, removed when `body` returns.
    static func withFolder<R>(_ body: (String) throws -> R) throws -> R {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("mnemo-data-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try body(folder.path)
    }

    /// `/work/shared/data` for a checkout at `/work/main`: three folders up from this file, then `../shared/data`.
    /// Fails the test (rather than skipping it) when the folder is missing.
    static func sharedData(_ file: String = #filePath) throws -> String {
        let folder = URL(fileURLWithPath: file)
            .deletingLastPathComponent()                 // Tests/MnemoDataTests
            .appendingPathComponent("../../../shared/data")
            .standardizedFileURL.path
        var isFolder: ObjCBool = false
        let present = FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue
        try #require(present, "the shared data folder \(folder) is missing: these tests need ../shared/data beside the checkout (tinyshakespeare.txt, gpt2/)")
        return folder
    }

    /// A shard file image: the 256-int32 header (values given, the rest zero) then `payload`.
    static func image(header: [Int32], payload: [UInt8]) -> [UInt8] {
        var values = header + [Int32](repeating: 0, count: 256 - header.count)
        values = values.map(\.littleEndian)
        return values.withUnsafeBytes { Array($0) } + payload
    }

    /// Little-endian uint16 bytes of `tokens`.
    static func uint16Bytes(_ tokens: [Int]) -> [UInt8] {
        tokens.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    /// Writes `bytes` to `name` in `folder`; returns the path.
    static func write(_ bytes: [UInt8], named name: String, in folder: String) throws -> String {
        let path = (folder as NSString).appendingPathComponent(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `tokens` as a shard named `name` in `folder`; returns the path.
    @discardableResult
    static func shard(_ tokens: [Int], named name: String, in folder: String, format: TokenShardFormat = .uint16)
        throws -> String
    {
        let path = (folder as NSString).appendingPathComponent(name)
        try TokenShard.write(tokens, to: path, format: format)
        return path
    }
}

/// nanoGPT's shakespeare_char tokenizer: the sorted set of the corpus's characters (Unicode scalars), id = rank.
/// Enough for the prepare tests; the module's own CharTokenizer is tested with the tokenizers.
struct StubCharTokenizer: Tokenizer {
    let characters: [Unicode.Scalar]
    let ids: [Unicode.Scalar: Int]
    let endOfText: Int?

    init(corpus: String, withEndOfText: Bool = false) {
        characters = Set(corpus.unicodeScalars).sorted()
        var ids: [Unicode.Scalar: Int] = [:]
        for (i, c) in characters.enumerated() { ids[c] = i }
        self.ids = ids
        endOfText = withEndOfText ? characters.count : nil
    }

    var vocabularySize: Int { characters.count + (endOfText == nil ? 0 : 1) }
    func encode(_ text: String) -> [Int] { text.unicodeScalars.map { ids[$0]! } }
    func decode(_ tokens: [Int]) -> String {
        var text = String.UnicodeScalarView()
        for id in tokens where id < characters.count { text.append(characters[id]) }
        return String(text)
    }
}

/// A tokenizer with a vocabulary too large for uint16: each character c becomes the id 65,536 + its code.
struct WideStubTokenizer: Tokenizer {
    var vocabularySize: Int { 65_536 + 0x11_0000 }
    var endOfText: Int? { nil }
    func encode(_ text: String) -> [Int] { text.unicodeScalars.map { 65_536 + Int($0.value) } }
    func decode(_ ids: [Int]) -> String {
        String(String.UnicodeScalarView(ids.compactMap { Unicode.Scalar(UInt32($0 - 65_536)) }))
    }
}
