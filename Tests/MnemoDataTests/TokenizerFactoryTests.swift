// TokenizerFactoryTests.swift — loading by spec, and the errors for missing or wrong files.

import Foundation
import Testing
@testable import MnemoData

@Suite("Tokenizer factory")
struct TokenizerFactoryTests {
    @Test("each spec loads its tokenizer")
    func loads() throws {
        let gpt2 = try loadTokenizer(.gpt2(directory: TokenizerTestData.path("gpt2")))
        #expect(gpt2.encode("Hello world") == [15496, 995])
        #expect(gpt2 is GPT2Tokenizer)
        let hf = try loadTokenizer(.huggingFace(path: TokenizerTestData.path("minimind/tokenizer.json")))
        #expect(hf.encode("Hello world") == [1602, 1707])
    }

    @Test("missing files and folders: the path, what was expected, a hint")
    func missing() throws {
        let folder = try TokenizerTestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for spec in [TokenizerSpec.gpt2(directory: folder + "/none"), .huggingFace(path: folder + "/none.json"), .char(path: folder + "/none.json")] {
            let error = try #require(throws: TokenizerError.self) { try loadTokenizer(spec) }
            #expect(error.kind == .missingFile)
            #expect(error.description.hasPrefix(folder + "/none"))
            #expect(error.hint != nil)
        }
        // A GPT-2 folder with encoder.json but no vocab.bpe.
        try FileManager.default.copyItem(atPath: TokenizerTestData.path("gpt2/encoder.json"), toPath: folder + "/encoder.json")
        let error = try #require(throws: TokenizerError.self) { try loadTokenizer(.gpt2(directory: folder)) }
        #expect(error.file == folder + "/vocab.bpe")
        #expect(error.kind == .missingFile)
        // A file given as the GPT-2 folder.
        let notFolder = try #require(throws: TokenizerError.self) { try loadTokenizer(.gpt2(directory: folder + "/encoder.json")) }
        #expect(notFolder.message.contains("is a file"))
    }

    @Test("corrupt GPT-2 files: the file, the line and what is wrong")
    func corruptGPT2() throws {
        let folder = try TokenizerTestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: TokenizerTestData.path("gpt2/encoder.json"), toPath: folder + "/encoder.json")
        var merges = try String(contentsOfFile: TokenizerTestData.path("gpt2/vocab.bpe"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        merges[3] = "Ġ zzzq"
        try merges.joined(separator: "\n").write(toFile: folder + "/vocab.bpe", atomically: true, encoding: .utf8)
        let error = try #require(throws: TokenizerError.self) { try GPT2Tokenizer(directory: folder) }
        #expect(error.kind == .corruptFile)
        #expect(error.description.hasPrefix(folder + "/vocab.bpe: line 4: merge \"Ġ zzzq\""), "\(error)")

        try "{\"a\": 0, \"b\": }".write(toFile: folder + "/encoder.json", atomically: true, encoding: .utf8)
        let json = try #require(throws: TokenizerError.self) { try GPT2Tokenizer(directory: folder) }
        #expect(json.kind == .corruptFile)
        #expect(json.description.hasPrefix(folder + "/encoder.json: at byte offset 14: an integer should be here"), "\(json)")
    }
}
