// CharTokenizerTests.swift — nanoGPT's shakespeare_char vocabulary, save / load, unknown characters.

import Foundation
import Testing
@testable import MnemoData

@Suite("Character tokenizer")
struct CharTokenizerTests {
    @Test("tinyshakespeare: 65 characters sorted by code point, as nanoGPT's prepare.py")
    func shakespeare() throws {
        let text = try TokenizerTestData.shakespeare()
        let tokenizer = CharTokenizer(corpus: text)
        #expect(tokenizer.vocabularySize == 65)
        #expect(String(String.UnicodeScalarView(tokenizer.characters))
            == "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        let ids = tokenizer.encode(text)
        #expect(ids.count == 1_115_394)
        #expect(Array(ids.prefix(10)) == [18, 47, 56, 57, 58, 1, 15, 47, 58, 47])  // "First Citi", nanoGPT's first ids
        #expect(tokenizer.decode(ids) == text)
        #expect(tokenizer.encodeConcurrently(text, allowedSpecial: .none, threads: 4) == ids)
        #expect(tokenizer.endOfText == nil)
    }

    @Test("characters are Unicode scalars: \\r\\n is two, combining marks and emoji are their scalars")
    func scalars() throws {
        let tokenizer = CharTokenizer(corpus: "b\r\na e\u{301} 😀")
        #expect(tokenizer.characters.map(\.value) == [0x0A, 0x0D, 0x20, 0x61, 0x62, 0x65, 0x301, 0x1F600])
        #expect(tokenizer.encode("a\r\n😀") == [3, 1, 0, 7])
        #expect(tokenizer.decode([5, 6]) == "e\u{301}")
        #expect(tokenizer.decode([99]) == "\u{FFFD}")
    }

    @Test("save and load give the same vocabulary; the file is {\"type\": \"char\", \"chars\": [...]}")
    func saveAndLoad() throws {
        let folder = try TokenizerTestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tokenizer = CharTokenizer(corpus: "hello\t\"quoted\" \\ wörld\n\u{1}😀")
        let path = folder + "/chars.json"
        try tokenizer.save(to: path)
        let loaded = try CharTokenizer(path: path)
        #expect(loaded.characters == tokenizer.characters)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        #expect(json?["type"] as? String == "char")
        #expect((json?["chars"] as? [String])?.count == tokenizer.vocabularySize)
        let viaFactory = try loadTokenizer(.char(path: path))
        #expect(viaFactory.encode("hello") == tokenizer.encode("hello"))
    }

    @Test("a character outside the vocabulary: encodeChecked throws, naming it and its position")
    func unknownCharacter() throws {
        let tokenizer = CharTokenizer(corpus: "abc")
        let error = try #require(throws: TokenizerError.self) { try tokenizer.encodeChecked("abcd") }
        #expect(error.kind == .unknownCharacter)
        #expect(error.message.contains("\"d\" (U+0064) at position 3"))
        #expect(try tokenizer.encodeChecked("cab") == [2, 0, 1])
    }

    @Test("corrupt vocabulary files are refused with the file name")
    func corruptFiles() throws {
        let folder = try TokenizerTestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/chars.json"
        for (text, words) in [("{\"type\": \"char\", \"chars\": [\"ab\"]}", "exactly one character"),
                              ("{\"type\": \"char\", \"chars\": [\"a\", \"a\"]}", "appears twice"),
                              ("{\"type\": \"bpe\"}", "not \"char\""),
                              ("{\"model\": {}}", "Hugging Face"),
                              ("nonsense", "not valid JSON")] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: TokenizerError.self) { try CharTokenizer(path: path) }
            #expect(error.kind == .corruptFile)
            #expect(error.description.hasPrefix(path + ": "))
            #expect(error.message.contains(words), "\(error)")
        }
    }
}
