// JSONReadingTests.swift — the data files read through MnemoSupport's JSONParser: a malformed tokenizer.json is
// refused at its line and column, a jsonl line's error names its column, Python's NaN in a jsonl field is read as
// Python reads it, and PromptPrefix finds the ids of a TemplateProcessing (alone or inside a Sequence).
import Foundation
import Testing
@testable import MnemoData
import MnemoSupport

@Suite("JSON reading of data files")
struct JSONReadingTests {
    @Test("a malformed tokenizer.json: the file, the line and the column, for every loader")
    func tokenizerFileErrorsHaveLineAndColumn() throws {
        try DataFixtures.withFolder { folder in
            let path = try DataFixtures.write(Array("{\n  \"model\": {\"type\": \"BPE\",\n    \"vocab\": {\"a\": 0,}}}\n".utf8),
                                              named: "tokenizer.json", in: folder)
            let errors: [() throws -> Void] = [
                { _ = try HFTokenizer(path: path) }, { _ = try SentencePieceTokenizer(path: path) },
                { _ = try loadHuggingFaceTokenizer(path: path) }, { _ = try PromptPrefix.ids(tokenizerFile: path) },
            ]
            for load in errors {
                let error = try #require(throws: TokenizerError.self) { try load() }
                #expect(error.kind == .corruptFile)
                #expect(error.description.hasPrefix(path + ": is not valid JSON at line 3, column 22: unexpected '}'"), "\(error)")
            }
            let duplicate = try DataFixtures.write(Array("{\"model\": 1,\n\"model\": 2}".utf8), named: "dup.json", in: folder)
            let refused = try #require(throws: TokenizerError.self) { try HFTokenizer(path: duplicate) }
            #expect(refused.message == "is not valid JSON at line 2, column 1: duplicate key \"model\"", "\(refused)")
        }
    }

    @Test("jsonl: a syntax error names the line and column; NaN in another field reads as Python reads it")
    func jsonlLines() throws {
        try DataFixtures.withFolder { folder in
            let bad = try DataFixtures.write(Array("{\"text\": \"ok\"}\n  {\"text\": broken}\n".utf8), named: "bad.jsonl", in: folder)
            let error = try #require(throws: TokenDataError.self) { _ = try DataPrepare.readCorpus([bad]) }
            #expect(error.line == 2)
            #expect(error.message == "not valid JSON at column 12: unexpected 'b', expected a value: {\"text\": broken}", "\(error)")

            let bytes = Array("{\"text\": \"a\"}\n{\"text\": \"".utf8) + [0xC3] + Array("\"}\n".utf8)
            let notUTF8 = try #require(throws: TokenDataError.self) {
                _ = try DataPrepare.readCorpus([try DataFixtures.write(bytes, named: "latin.jsonl", in: folder)])
            }
            #expect(notUTF8.line == 2 && notUTF8.message == "not UTF-8 text at column 11", "\(notUTF8)")

            let python = try DataFixtures.write(Array("{\"text\": \"one\", \"score\": NaN}\n{\"text\": \"x\", \"text\": \"two\"}\n".utf8),
                                                named: "python.jsonl", in: folder)
            #expect(try DataPrepare.readCorpus([python]).sources[0].documents == ["one", "two"])
        }
    }

    @Test("PromptPrefix: the special tokens before $A, alone or in a Sequence; none without a template")
    func promptPrefix() throws {
        let template = """
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
            """
        #expect(PromptPrefix.ids(postProcessor: try JSONParser.parse(template)) == [1])
        let sequence = #"{"type": "Sequence", "processors": [{"type": "ByteLevel"}, "# + template + "]}"
        #expect(PromptPrefix.ids(postProcessor: try JSONParser.parse(sequence)) == [1])
        #expect(PromptPrefix.ids(postProcessor: try JSONParser.parse(#"{"type": "ByteLevel"}"#)).isEmpty)
        #expect(PromptPrefix.ids(postProcessor: .null).isEmpty && PromptPrefix.ids(postProcessor: nil).isEmpty)
        let path = try TokenizerTestData.path("minimind/tokenizer.json")
        #expect(try PromptPrefix.ids(tokenizerFile: path).isEmpty)
    }
}
