// SentencePieceTokenizerTests.swift — the Llama-2-style tokenizer.json against Hugging Face `tokenizers`
// (SentencePieceReferences.swift and Fixtures/sentencepiece, written by scripts/sentencepiece_references.py).

import Foundation
import Testing
@testable import MnemoData

@Suite("SentencePiece-style BPE (Llama-2 tokenizer.json)")
struct SentencePieceTokenizerTests {
    static func fixture(_ variant: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: variant, withExtension: "json", subdirectory: "Fixtures/sentencepiece"))
        return url.path
    }

    static func load(_ variant: String) throws -> SentencePieceTokenizer {
        let tokenizer = try loadTokenizer(.huggingFace(path: fixture(variant)))
        return try #require(tokenizer as? SentencePieceTokenizer, "hf:\(variant).json should load as a SentencePiece-style tokenizer")
    }

    @Test("ids of tricky strings equal Hugging Face's, with and without added tokens; decode equals theirs",
          arguments: ["legacy", "metaspace_first", "metaspace_split", "no_byte_fallback"])
    func references(variant: String) throws {
        let tokenizer = try Self.load(variant)
        #expect(tokenizer.vocabularySize == sentencePieceVocabularySize)
        let cases = sentencePieceReferences.filter { $0.variant == variant }
        #expect(cases.count >= 20)
        for reference in cases {
            #expect(tokenizer.encode(reference.text) == reference.ordinary, "encode \(reference.text.debugDescription)")
            #expect(tokenizer.encode(reference.text, allowedSpecial: .all) == reference.special,
                    "encode with added tokens \(reference.text.debugDescription)")
            #expect(tokenizer.decode(reference.special) == reference.decoded, "decode of \(reference.text.debugDescription)")
        }
        for reference in sentencePieceDecodeReferences where reference.variant == variant {
            #expect(tokenizer.decode(reference.ids) == reference.decoded, "decode \(reference.ids)")
        }
    }

    @Test("the layout Llama-2 uses: <unk> <s> </s>, 256 byte tokens; endOfText is </s>; byte fallback really used")
    func layout() throws {
        let tokenizer = try Self.load("legacy")
        #expect(tokenizer.specialTokens == ["<unk>": 0, "<s>": 1, "</s>": 2])
        #expect(tokenizer.endOfText == 2)
        #expect(tokenizer.id(of: "<0x0A>") == 3 + 0x0A)
        #expect(tokenizer.id(of: "▁the") != nil)
        // 日 is not in the 64-character alphabet: three byte tokens, and they decode back.
        let ids = tokenizer.encode("日")
        #expect(ids.contains(3 + 0xE6) && ids.contains(3 + 0x97) && ids.contains(3 + 0xA5))
        #expect(tokenizer.decode(ids) == "日")
        // Without byte fallback, unknown characters in a row are one <unk>.
        let plain = try Self.load("no_byte_fallback")
        #expect(plain.encode("日本語").filter { $0 == 0 }.count == 1)
    }

    @Test("round trip on Shakespeare (the legacy layout strips only the one leading space it added)")
    func roundTrip() throws {
        let text = TokenizerTestData.prefix(try TokenizerTestData.shakespeare(), scalars: 20_000)
        // (metaspace_split has no ByteFallback decoder, so a newline decodes as the text "<0x0A>", as in Hugging Face.)
        for variant in ["legacy", "metaspace_first"] {
            let tokenizer = try Self.load(variant)
            let ids = tokenizer.encode(text)
            #expect(ids.count < text.unicodeScalars.count / 2, "\(variant): \(ids.count) tokens for 20,000 characters")
            let decoded = tokenizer.decode(ids)
            #expect(decoded == text, "\(variant): the decoded text differs from character \(decoded.commonPrefix(with: text).count) on")
        }
    }

    @Test("a long word (legacy: a whole segment is one word) merges like the short path: heap order is rank, then position")
    func longWord() throws {
        let tokenizer = try Self.load("legacy")
        let line = "the king and the queen "
        let long = String(repeating: line, count: 400)
        let short = tokenizer.encode(line)   // ▁the ▁king ▁and ▁the ▁queen ▁ (Prepend adds the first ▁)
        // Merges never cross a ▁ in this vocabulary, so the long text is the short one's words repeated and the
        // lone trailing ▁ once.
        #expect(short.last == tokenizer.id(of: "▁"))
        let expected = Array(repeating: short.dropLast(), count: 400).flatMap { $0 } + [short.last!]
        #expect(tokenizer.encode(long) == expected)
        #expect(tokenizer.decode(tokenizer.encode(long)) == long)
    }

    @Test("what the file asks and we cannot do exactly is refused, naming the file")
    func refusals() throws {
        let original = try String(contentsOfFile: Self.fixture("legacy"), encoding: .utf8)
        let folder = try TokenizerTestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func load(_ text: String) -> TokenizerError? {
            let path = folder + "/tokenizer.json"
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try loadTokenizer(.huggingFace(path: path))
                return nil
            } catch let error as TokenizerError {
                #expect(error.description.hasPrefix(path + ": "))
                #expect(error.hint != nil)
                return error
            } catch {
                Issue.record("unexpected error \(error)")
                return nil
            }
        }
        #expect(load(original) == nil)
        let regex = original.replacingOccurrences(of: "\"pattern\": {\n     \"String\": \" \"", with: "\"pattern\": {\n     \"Regex\": \" \"")
        #expect(regex != original)
        #expect(load(regex)?.kind == .unsupported)
        let nfkc = original.replacingOccurrences(of: "\"type\": \"Prepend\",", with: "\"type\": \"NFKC\",")
        #expect(load(nfkc)?.kind == .unsupported)
        let wordPiece = original.replacingOccurrences(of: "\"type\": \"BPE\"", with: "\"type\": \"WordPiece\"")
        #expect(load(wordPiece)?.kind == .unsupported)
        let badMerge = original.replacingOccurrences(of: "\"merges\": [\n   [\n    \"", with: "\"merges\": [\n   [\n    \"zzz")
        #expect(badMerge != original)
        #expect(load(badMerge)?.kind == .corruptFile)
        let pre = original.replacingOccurrences(of: "\"pre_tokenizer\": null", with: "\"pre_tokenizer\": {\"type\": \"Whitespace\"}")
        #expect(load(pre)?.kind == .unsupported)
    }
}
