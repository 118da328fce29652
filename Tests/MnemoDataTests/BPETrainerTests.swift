// BPETrainerTests.swift — training a byte-level BPE: sizes, determinism, round trips, the saved tokenizer.json.

import Foundation
import Testing
@testable import MnemoData

@Suite("BPE trainer")
struct BPETrainerTests {
    @Test("tinyshakespeare to 1,000 ids: 743 merges + <|endoftext|>, quick, deterministic, round trip")
    func shakespeare() throws {
        let text = try TokenizerTestData.shakespeare()
        let start = Date()
        let trained = try BPETrainer(vocabularySize: 1000).train([text])
        let seconds = Date().timeIntervalSince(start)
        #expect(seconds < 20, "training took \(seconds) s")
        #expect(trained.vocabularySize == 1000)
        #expect(trained.merges.count == 743)
        #expect(trained.specialTokens == ["<|endoftext|>"])
        #expect(trained.tokens[256...].allSatisfy { $0.count >= 2 })
        let again = try BPETrainer(vocabularySize: 1000).train([text])
        #expect(again.tokenizerJSON() == trained.tokenizerJSON())

        let tokenizer = try trained.tokenizer()
        #expect(tokenizer.vocabularySize == 1000)
        #expect(tokenizer.endOfText == 999)
        let ids = tokenizer.encode(text)
        #expect(ids.count < text.utf8.count / 2, "1,000 ids should at least halve the bytes (got \(ids.count))")
        #expect(tokenizer.decode(ids) == text)
        #expect(tokenizer.encode("a<|endoftext|>b", allowedSpecial: .all) == tokenizer.encode("a") + [999] + tokenizer.encode("b"))
    }

    @Test("the first merge is the most frequent pair; ties go to the smaller bytes")
    func firstMerges() throws {
        // Pieces: "ab" ×3, " ab" ×2, "cd" ×1, " cd" ×1 → pairs (a,b) 5, (' ',a) 2, (' ',c) 1, (c,d) 2.
        let trained = try BPETrainer(vocabularySize: 259, specialTokens: [], minimumPairCount: 1).train(["ab ab ab", "cd cd"])
        #expect(trained.merges.count == 3)
        #expect(trained.tokens[256] == Array("ab".utf8))
        // Then (' ', ab) 2 and (c, d) 2 tie: " " (0x20) sorts before "c".
        #expect(trained.tokens[257] == Array(" ab".utf8))
        #expect(trained.tokens[258] == Array("cd".utf8))
    }

    @Test("special tokens are cut out of the text and never merged")
    func specials() throws {
        let trained = try BPETrainer(vocabularySize: 300, specialTokens: ["<|endoftext|>", "<pad>"], minimumPairCount: 1)
            .train(["x<|endoftext|>x<|endoftext|>x<|endoftext|>"])
        #expect(trained.tokens.count == 256)  // only "x" pieces: nothing to merge
        #expect(trained.vocabularySize == 258)
        let tokenizer = try trained.tokenizer()
        #expect(tokenizer.encode("x<pad>", allowedSpecial: .all) == [120, 257])
    }

    @Test("the file loads back through the factory and matches the in-memory tokenizer")
    func savedFile() throws {
        let folder = try TokenizerTestData.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let corpus = try TokenizerTestData.text("tinystories/tinystories_sample.txt")
        let trained = try BPETrainer(vocabularySize: 400).train([corpus])
        try trained.save(to: folder + "/tokenizer.json")
        let loaded = try loadTokenizer(.huggingFace(path: folder + "/tokenizer.json"))
        let sample = corpus + tokenizerReferences.map(\.text).joined(separator: "\n")
        #expect(loaded.encode(sample, allowedSpecial: .all) == (try trained.tokenizer()).encode(sample, allowedSpecial: .all))
        #expect(loaded.decode(loaded.encode(sample)) == sample)
    }

    @Test("too small a vocabulary is refused")
    func tooSmall() {
        #expect(throws: TokenizerError.self) { try BPETrainer(vocabularySize: 256).train(["abc"]) }
    }
}
