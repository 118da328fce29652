// TokenizerSpecTests.swift — a train config's `tokenizer`, a prepared folder's meta.json and `mnemo data prepare
// --tokenizer` are read by one parser (MnemoData's TokenizerSpec): a spelling one accepts, the others accept too.
import Foundation
import MnemoData
import Testing
@testable import MnemoTrain

@Suite struct TokenizerSpecTests {
    /// `mnemo data prepare --tokenizer huggingface:PATH` was accepted (and its meta.json records the kind
    /// "huggingface"), but `tokenizer = "huggingface:PATH"` in a train config stopped with "use char, gpt2:DIR or
    /// hf:PATH", and a run could not keep such a tokenizer.
    @Test func theHuggingfaceSpellingTrainsAsDataPrepareAcceptsIt() throws {
        let dir = try temporaryFolder("hfspec")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = sharedDataPath("minimind/tokenizer.json")
        #expect(try DataPrepare.TokenizerChoice(parsing: "huggingface:" + path) == .spec(.huggingFace(path: path)))

        var c = tinyConfig(data: try writeCorpus(in: dir))
        c.tokenizer = "huggingface:" + path
        let data = try TokenData.load(config: c)
        #expect(data.tokenizer.vocabularySize == 6400)
        #expect(data.tokenizer.encode("Hello world") == [1602, 1707])
        // the run keeps its own copy of the tokenizer and reads it back
        try RunTokenizer.save(data, into: dir)
        #expect(try RunTokenizer.load(run: dir, configTokenizer: c.tokenizer).encode("Hello world") == [1602, 1707])
    }
}
