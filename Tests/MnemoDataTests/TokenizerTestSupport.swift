// TokenizerTestSupport.swift — where the shared test data is, and the tokenizers loaded once for all tests.
//
// The data lives in ../shared/data next to the package (this file is Tests/MnemoDataTests/X.swift, so that is
// ../../../shared/data from here). A missing file fails the test with a message; it never passes silently.

import Foundation
import Testing
@testable import MnemoData

enum TokenizerTestData {
    static let folder: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("shared/data").path
    }()

    /// Path of a file under shared/data; fails the test (throws) when it is missing.
    static func path(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = folder + "/" + relative
        try #require(FileManager.default.fileExists(atPath: path),
                     "shared test data missing: \(path) (expected the repository's shared/data folder next to the package)",
                     sourceLocation: sourceLocation)
        return path
    }

    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    static func shakespeare() throws -> String { try cachedShakespeare.get() }
    private static let cachedShakespeare = Result { try text("tinyshakespeare.txt") }

    static func gpt2() throws -> GPT2Tokenizer { try cachedGPT2.get() }
    private static let cachedGPT2 = Result { try GPT2Tokenizer(directory: path("gpt2")) }

    static func minimind3() throws -> HFTokenizer { try cachedMinimind3.get() }
    private static let cachedMinimind3 = Result { try HFTokenizer(path: path("minimind/tokenizer.json")) }

    static func minimind2() throws -> HFTokenizer { try cachedMinimind2.get() }
    private static let cachedMinimind2 = Result { try HFTokenizer(path: path("minimind/minimind2/tokenizer.json")) }

    /// The first `count` characters (Unicode scalars, as Python's str indexing).
    static func prefix(_ text: String, scalars count: Int) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(count)))
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "mnemo-tokenizer-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
