// Data preparation: nanoGPT's shakespeare_char split on the shared tinyshakespeare.txt, jsonl documents and
// their separators, shard sizes, uint32 vocabularies, and each refused input with its file and line.

import Foundation
import Testing
@testable import MnemoData

@Suite struct DataPrepareTests {
    static func prepared(_ tokenizer: any Tokenizer, kind: String = "char", files: [String: Data] = [:])
        -> DataPrepare.PreparedTokenizer
    {
        DataPrepare.PreparedTokenizer(tokenizer, kind: kind, files: files)
    }

    /// Every token of a split, shards read end to end.
    static func tokens(_ folder: String, _ split: String) throws -> [Int] {
        let stream = try ShardedTokens(directory: folder, split: split)
        return stream.shards.flatMap { $0.tokens(in: 0..<$0.count) }
    }

    /// Writes `text` to `name` in `folder`; returns the path.
    static func file(_ text: String, _ name: String, in folder: String) throws -> String {
        try DataFixtures.write(Array(text.utf8), named: name, in: folder)
    }

    /// nanoGPT's data/shakespeare_char/prepare.py: vocabulary 65, train 1,003,854 tokens, val 111,540.
    @Test func tinyShakespeareCharMatchesNanoGPT() throws {
        let input = try DataFixtures.sharedData() + "/tinyshakespeare.txt"
        try DataFixtures.withFolder { out in
            let corpus = try DataPrepare.readCorpus([input])
            let text = corpus.text
            let tokenizer = StubCharTokenizer(corpus: text)
            let summary = try DataPrepare.prepare(corpus, tokenizer: Self.prepared(tokenizer, files: ["vocab.txt": Data("x".utf8)]),
                                                  options: .init(outputDirectory: out))
            #expect(summary.tokenizer.vocabularySize == 65)
            #expect(summary.tokenFormat == .uint16)
            #expect(summary.splits["train"]?.tokens == 1_003_854)
            #expect(summary.splits["val"]?.tokens == 111_540)
            #expect(summary.splits["train"]?.shards == ["train_000000.bin"])
            #expect(summary.sources.first?.bytes == 1_115_394)

            let train = try TokenShard(path: out + "/train_000000.bin")
            let val = try TokenShard(path: out + "/val_000000.bin")
            #expect(train.count == 1_003_854 && val.count == 111_540)
            let decoded = tokenizer.decode(train.tokens(in: 0..<train.count)) + tokenizer.decode(val.tokens(in: 0..<val.count))
            #expect(decoded == text)
            #expect(tokenizer.decode(val.tokens(in: 0..<20)) == "?\n\nGREMIO:\nGood morr")  // nanoGPT's val starts mid-line

            // meta.json says the same, and the tokenizer's files are beside it.
            let meta = try DataPrepare.summary(ofPreparedFolder: out)
            #expect(meta == summary)
            let json = try String(contentsOfFile: out + "/meta.json", encoding: .utf8)
            #expect(json.contains("\"vocab_size\" : 65") && json.contains("\"token_format\" : \"uint16\""))
            #expect(try String(contentsOfFile: out + "/vocab.txt", encoding: .utf8) == "x")
        }
    }

    /// The same through `--tokenizer char`: the module's CharTokenizer, saved as tokenizer.json beside the shards
    /// and loaded back from meta.json.
    @Test func tinyShakespeareWithTheCharTokenizerChoice() throws {
        let input = try DataFixtures.sharedData() + "/tinyshakespeare.txt"
        try DataFixtures.withFolder { out in
            let corpus = try DataPrepare.readCorpus([input])
            let choice = try DataPrepare.TokenizerChoice(parsing: "char")
            let summary = try DataPrepare.prepare(corpus, tokenizer: DataPrepare.tokenizer(choice, corpus: corpus),
                                                  options: .init(outputDirectory: out))
            #expect(summary.tokenizer.kind == "char" && summary.tokenizer.files == ["tokenizer.json"])
            #expect(summary.tokenizer.vocabularySize == 65)
            #expect(summary.splits["train"]?.tokens == 1_003_854 && summary.splits["val"]?.tokens == 111_540)
            let spec = try DataPrepare.tokenizerSpec(ofPreparedFolder: out)
            #expect(spec == .char(path: out + "/tokenizer.json"))
            let tokenizer = try loadTokenizer(spec)
            let val = try TokenShard(path: out + "/val_000000.bin")
            #expect(tokenizer.decode(val.tokens(in: 0..<20)) == "?\n\nGREMIO:\nGood morr")
            // nanoGPT's ids: chars = sorted(set(text)), so "\n" is 0, " " is 1 and "F" ("First Citizen") is 18.
            let train = try TokenShard(path: out + "/train_000000.bin")
            #expect(train.tokens(in: 0..<6) == [18, 47, 56, 57, 58, 1])
        }
    }

    /// nanoGPT's data/shakespeare/prepare.py (GPT-2 BPE, encode_ordinary): 301,966 train and 36,059 val tokens,
    /// as tiktoken counts them (shared/data/README.md).
    @Test func tinyShakespeareGPT2MatchesNanoGPT() throws {
        let data = try DataFixtures.sharedData()
        try DataFixtures.withFolder { out in
            let corpus = try DataPrepare.readCorpus([data + "/tinyshakespeare.txt"])
            let choice = try DataPrepare.TokenizerChoice(parsing: "gpt2:" + data + "/gpt2")
            let summary = try DataPrepare.prepare(corpus, tokenizer: DataPrepare.tokenizer(choice, corpus: corpus),
                                                  options: .init(outputDirectory: out))
            #expect(summary.splits["train"]?.tokens == 301_966)
            #expect(summary.splits["val"]?.tokens == 36_059)
            #expect(summary.tokenizer.vocabularySize == 50257 && summary.tokenizer.endOfText == 50256)
            #expect(summary.tokenizer.files == ["encoder.json", "vocab.bpe"])
            let train = try TokenShard(path: out + "/train_000000.bin")
            #expect(train.tokens(in: 0..<20) == [5962, 22307, 25, 198, 8421, 356, 5120, 597, 2252, 11,
                                                 3285, 502, 2740, 13, 198, 198, 3237, 25, 198, 5248])
            #expect(try DataPrepare.tokenizerSpec(ofPreparedFolder: out) == .gpt2(directory: out))
        }
    }

    /// A MiniMind-style pretraining jsonl through `hf:`: chat markers become their ids (as Hugging Face's encode
    /// does; ids from shared/data/README.md) and documents are separated by <|endoftext|> (id 0).
    @Test func jsonlWithHuggingFaceTokenizer() throws {
        let data = try DataFixtures.sharedData()
        try DataFixtures.withFolder { folder in
            let line = #"{"text": "<|im_start|>user\n你好<|im_end|>"}"#
            let input = try Self.file(Array(repeating: line, count: 10).joined(separator: "\n"), "chat.jsonl", in: folder)
            let corpus = try DataPrepare.readCorpus([input])
            let choice = try DataPrepare.TokenizerChoice(parsing: "hf:" + data + "/minimind/tokenizer.json")
            let summary = try DataPrepare.prepare(
                corpus, tokenizer: DataPrepare.tokenizer(choice, corpus: corpus),
                options: .init(outputDirectory: folder + "/out", specialTokens: choice.defaultSpecialTokens))
            let ids = [1, 832, 311, 234, 1968, 2]
            #expect(try Self.tokens(folder + "/out", "train") == Array(Array(repeating: ids, count: 9).joined(separator: [0])))
            #expect(try Self.tokens(folder + "/out", "val") == ids)
            #expect(summary.tokenizer.kind == "huggingface" && summary.tokenizer.vocabularySize == 6400)
            #expect(summary.tokenizer.endOfText == 0 && summary.specialTokens == "allowed")
            #expect(try DataPrepare.tokenizerSpec(ofPreparedFolder: folder + "/out") == .huggingFace(path: folder + "/out/tokenizer.json"))
        }
    }

    @Test func tokenizerArguments() throws {
        #expect(try DataPrepare.TokenizerChoice(parsing: "char") == .charFromCorpus)
        #expect(try DataPrepare.TokenizerChoice(parsing: "char:v.json") == .spec(.char(path: "v.json")))
        #expect(try DataPrepare.TokenizerChoice(parsing: "gpt2:/a/b") == .spec(.gpt2(directory: "/a/b")))
        #expect(try DataPrepare.TokenizerChoice(parsing: "hf:t.json") == .spec(.huggingFace(path: "t.json")))
        #expect(try DataPrepare.TokenizerChoice(parsing: "hf:t.json").defaultSpecialTokens == .all)
        #expect(try DataPrepare.TokenizerChoice(parsing: "gpt2:x").defaultSpecialTokens == SpecialTokenPolicy.none)
        for bad in ["bpe", "gpt2", "gpt2:", "sentencepiece:x.model"] {
            let error = try #require(throws: TokenDataError.self) { _ = try DataPrepare.TokenizerChoice(parsing: bad) }
            #expect(error.kind == .invalidOption && error.hint?.contains("gpt2:DIR") == true, "\(bad)")
        }
    }

    @Test func savedCharVocabularyMustCoverTheCorpus() throws {
        try DataFixtures.withFolder { folder in
            let vocabulary = folder + "/vocab.json"
            try CharTokenizer(corpus: "abc ").save(to: vocabulary)
            let good = try Self.file("a cab", "good.txt", in: folder)
            let bad = try Self.file("a cab\nbad!", "bad.txt", in: folder)
            let choice = try DataPrepare.TokenizerChoice(parsing: "char:" + vocabulary)
            let prepared = try DataPrepare.tokenizer(choice, corpus: DataPrepare.readCorpus([good]))
            #expect(prepared.tokenizer.vocabularySize == 4)
            let error = try #require(throws: TokenDataError.self) {
                _ = try DataPrepare.tokenizer(choice, corpus: DataPrepare.readCorpus([good, bad]))
            }
            #expect(error.file == bad && error.description.contains("U+A") && error.hint?.contains("--tokenizer char") == true)
        }
    }

    @Test func jsonlDocumentsSeparatedByEndOfText() throws {
        try DataFixtures.withFolder { folder in
            let documents = (0..<10).map { "doc \($0)" + String(repeating: "!", count: $0) }
            var lines = documents.map { "{\"text\": \"\($0)\", \"id\": 1}" }
            lines.insert("", at: 3)        // blank lines are skipped
            lines.insert("   \r", at: 6)
            let input = try Self.file(lines.joined(separator: "\r\n") + "\n", "docs.jsonl", in: folder)
            let out = folder + "/out"
            let corpus = try DataPrepare.readCorpus([input])
            #expect(corpus.sources[0].documents == documents)
            let tokenizer = StubCharTokenizer(corpus: corpus.text, withEndOfText: true)
            let summary = try DataPrepare.prepare(corpus, tokenizer: Self.prepared(tokenizer), options: .init(outputDirectory: out))
            let eot = try #require(tokenizer.endOfText)
            // The first 9 documents go to train, separated by end-of-text; the last one to val.
            var expected: [Int] = []
            for (i, document) in documents.prefix(9).enumerated() {
                if i > 0 { expected.append(eot) }
                expected += tokenizer.encode(document)
            }
            #expect(try Self.tokens(out, "train") == expected)
            #expect(try Self.tokens(out, "val") == tokenizer.encode(documents[9]))
            #expect(summary.splits["train"]?.documents == 9 && summary.splits["val"]?.documents == 1)
            #expect(summary.tokenizer.endOfText == eot)
        }
    }

    @Test func withoutEndOfTextDocumentsAreConcatenated() throws {
        try DataFixtures.withFolder { folder in
            let input = try Self.file("{\"text\":\"ab\"}\n{\"text\":\"\"}\n{\"text\":\"cd\"}\n{\"text\":\"e\"}\n", "d.jsonl", in: folder)
            let corpus = try DataPrepare.readCorpus([input])
            let tokenizer = StubCharTokenizer(corpus: corpus.text)
            try DataPrepare.prepare(corpus, tokenizer: Self.prepared(tokenizer),
                                    options: .init(outputDirectory: folder, valFraction: 0.34))
            // 3 non-empty documents: ⌊3 × 0.66⌋ = 1 to train.
            #expect(try Self.tokens(folder, "train") == tokenizer.encode("ab"))
            #expect(try Self.tokens(folder, "val") == tokenizer.encode("cde"))
        }
    }

    @Test func smallShardsAndStaleShardsOfAnEarlierRun() throws {
        try DataFixtures.withFolder { folder in
            let text = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 20)  // 900 characters
            let input = try Self.file(text, "fox.txt", in: folder)
            let out = folder + "/out"
            let corpus = try DataPrepare.readCorpus([input])
            let tokenizer = StubCharTokenizer(corpus: text)
            let small = try DataPrepare.prepare(corpus, tokenizer: Self.prepared(tokenizer),
                                                options: .init(outputDirectory: out, shardSize: 100))
            #expect(small.splits["train"]?.shards.count == 9)   // 810 tokens
            #expect(small.splits["val"]?.shards == ["val_000000.bin"])  // 90 tokens
            #expect(try TokenShard(path: out + "/train_000008.bin").count == 10)
            #expect(try Self.tokens(out, "train") == tokenizer.encode(String(text.prefix(810))))
            // A re-run with larger shards removes the shards it no longer writes.
            try DataPrepare.prepare(corpus, tokenizer: Self.prepared(tokenizer), options: .init(outputDirectory: out, shardSize: 500))
            #expect(try TokenShard.paths(in: out, split: "train").count == 2)
            #expect(try Self.tokens(out, "train") == tokenizer.encode(String(text.prefix(810))))
            // And with no validation split, the old val shard goes too.
            let noVal = try DataPrepare.prepare(corpus, tokenizer: Self.prepared(tokenizer),
                                                options: .init(outputDirectory: out, valFraction: 0))
            #expect(noVal.splits["val"] == nil && noVal.splits["train"]?.tokens == 900)
            #expect(!FileManager.default.fileExists(atPath: out + "/val_000000.bin"))
        }
    }

    @Test func largeVocabularyWritesUint32Shards() throws {
        try DataFixtures.withFolder { folder in
            let input = try Self.file("héllo wörld, ✓ and 🙂 too", "wide.txt", in: folder)
            var notes: [String] = []
            let summary = try DataPrepare.prepare(try DataPrepare.readCorpus([input]), tokenizer: Self.prepared(WideStubTokenizer()),
                                                  options: .init(outputDirectory: folder, valFraction: 0.2)) { notes.append($0) }
            #expect(summary.tokenFormat == .uint32)
            let train = try TokenShard(path: folder + "/train_000000.bin")
            #expect(train.format == .uint32)
            #expect(WideStubTokenizer().decode(train.tokens(in: 0..<train.count)) == "héllo wörld, ✓ and ")  // ⌊24 × 0.8⌋ = 19 characters
            #expect(notes.contains { $0.contains("uint32") })
        }
    }

    // MARK: - Refused inputs

    @Test(arguments: [
        ("{\"text\": \"ok\"}\n\n{\"text\": broken}\n", 3, "not valid JSON"),
        ("{\"text\": \"ok\"}\n[\"text\"]\n", 2, "found an array"),
        ("{\"body\": \"no text\", \"id\": 4}\n", 1, "no \"text\" field (it has \"body\", \"id\")"),
        ("\n\n{\"text\": 12}\n", 3, "\"text\" is a number"),
        ("{\"text\": \"ok\"}\n{\"text\": null}", 2, "\"text\" is null"),
        ("{\"text\": true}\n", 1, "\"text\" is a boolean"),
    ])
    func malformedJsonlLineNamesFileAndLine(_ contents: String, _ line: Int, _ what: String) throws {
        try DataFixtures.withFolder { folder in
            let input = try Self.file(contents, "bad.jsonl", in: folder)
            let error = try #require(throws: TokenDataError.self) { _ = try DataPrepare.readCorpus([input]) }
            #expect(error.kind == .malformedInput)
            #expect(error.file == input && error.line == line)
            #expect(error.description.hasPrefix("\(input):\(line): "))
            #expect(error.description.contains(what), "\(error)")
            #expect(error.hint?.contains("{\"text\":") == true)
        }
    }

    @Test func missingEmptyAndNonTextInputs() throws {
        try DataFixtures.withFolder { folder in
            let missing = try #require(throws: TokenDataError.self) { _ = try DataPrepare.readCorpus([folder + "/nope.txt"]) }
            #expect(missing.kind == .missingFile && missing.file == folder + "/nope.txt")

            let empty = try Self.file("", "empty.txt", in: folder)
            let blank = try Self.file("\n\n  \n", "blank.jsonl", in: folder)
            let emptyCorpus = try #require(throws: TokenDataError.self) { _ = try DataPrepare.readCorpus([empty, blank]) }
            #expect(emptyCorpus.kind == .emptyCorpus)
            #expect(try #require(throws: TokenDataError.self) { _ = try DataPrepare.readCorpus([]) }.kind == .emptyCorpus)

            let latin1 = try DataFixtures.write([0x63, 0x61, 0x66, 0xE9], named: "latin1.txt", in: folder)
            let notUTF8 = try #require(throws: TokenDataError.self) { _ = try DataPrepare.readCorpus([latin1]) }
            #expect(notUTF8.kind == .malformedInput && notUTF8.description.contains("UTF-8"))

            let folderInput = try #require(throws: TokenDataError.self) { _ = try DataPrepare.readCorpus([folder]) }
            #expect(folderInput.kind == .io)
        }
    }

    @Test func splitsThatWouldBeEmptyAndBadOptions() throws {
        try DataFixtures.withFolder { folder in
            let one = try Self.file("{\"text\": \"only one\"}\n", "one.jsonl", in: folder)
            let corpus = try DataPrepare.readCorpus([one])
            let tokenizer = Self.prepared(StubCharTokenizer(corpus: corpus.text))
            let noTrain = try #require(throws: TokenDataError.self) {
                try DataPrepare.prepare(corpus, tokenizer: tokenizer, options: .init(outputDirectory: folder + "/a"))
            }
            #expect(noTrain.kind == .emptyCorpus && noTrain.description.contains("train split"))

            let short = try Self.file("abc", "short.txt", in: folder)
            let shortCorpus = try DataPrepare.readCorpus([short])
            let noVal = try #require(throws: TokenDataError.self) {
                try DataPrepare.prepare(shortCorpus, tokenizer: Self.prepared(StubCharTokenizer(corpus: "abc")),
                                        options: .init(outputDirectory: folder + "/b", valFraction: 1e-20))
            }
            #expect(noVal.kind == .emptyCorpus && noVal.description.contains("val split"))

            for options in [DataPrepare.Options(outputDirectory: folder + "/c", valFraction: 1),
                            .init(outputDirectory: folder + "/c", valFraction: -0.1),
                            .init(outputDirectory: folder + "/c", shardSize: 0)] {
                let error = try #require(throws: TokenDataError.self) {
                    try DataPrepare.prepare(shortCorpus, tokenizer: tokenizer, options: options)
                }
                #expect(error.kind == .invalidOption)
            }
        }
    }

    @Test func shardNames() {
        #expect(DataPrepare.isShardName("train_000000.bin"))
        #expect(DataPrepare.isShardName("val_000123.bin"))
        #expect(!DataPrepare.isShardName("train_00000.bin"))
        #expect(!DataPrepare.isShardName("train_000000.bin.tmp-12"))
        #expect(!DataPrepare.isShardName("test_000000.bin"))
    }
}
