// PaddedDocumentsTests.swift — MiniMind's pretraining layout (data_layout = "padded"): a row per jsonl document,
// bos + text + eos padded to max_seq_len + 1 with MiniMind2's own tokenizer, padding masked out of the loss; a
// MiniMind trains on it; bad settings say what to fix.
import Foundation
import Testing
@testable import MnemoData
@testable import MnemoModels
@testable import MnemoTrain
@testable import Torch

@Suite(.serialized) struct PaddedDocumentsTests {
    static func corpus(in dir: String, documents: Int = 120) throws -> String {
        let path = "\(dir)/pretrain.jsonl"
        let lines = (0..<documents).map { i in
            let text = "Document \(i): the quick brown fox \(i % 7 == 0 ? "jumps over the lazy dog" : "sleeps").\n"
            return String(data: try! JSONSerialization.data(withJSONObject: ["text": text]), encoding: .utf8)!
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func config(data: String, context: Int = 24) throws -> TrainConfig {
        var c = TrainConfig()
        c.data = data
        c.tokenizer = "hf:" + sharedDataPath("minimind/minimind2/tokenizer.json")
        for o in ["model=minimind", "dim=16", "n_layers=1", "n_heads=2", "n_kv_heads=1", "max_seq_len=\(context)", "data_layout=padded"] {
            try c.apply(override: o)
        }
        c.batchSize = 8; c.maxIters = 30; c.warmupIters = 2; c.lrDecayIters = 30; c.learningRate = 3e-3
        c.evalInterval = 15; c.evalIters = 2; c.evalFull = true; c.logInterval = 5; c.sampleTokens = 0
        return c
    }

    /// A packed run on a .jsonl file tokenized the raw JSON lines (braces, "text": and escapes included) as if they
    /// were prose. Now the documents are read as data prepare reads them and packed with the tokenizer's framing.
    @Test func packedJSONLPacksTheDocumentsNotTheirJSON() throws {
        let dir = try temporaryFolder("packed-jsonl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.corpus(in: dir)
        var c = try Self.config(data: path)
        try c.apply(override: "data_layout=packed")
        let data = try TokenData.load(config: c)
        let tokenizer = data.tokenizer
        let bos = tokenizer.specialTokens[c.bosToken]!, eos = tokenizer.specialTokens[c.eosToken]!
        let first = "Document 0: the quick brown fox jumps over the lazy dog.\n"
        let expected = [bos] + tokenizer.encode(first) + [eos]
        let all = try #require((data.train as? TokenWindows)?.tokens as? [Int])
        let stream = Array(all.prefix(expected.count))
        #expect(stream == expected)
        #expect(!tokenizer.decode(Array(all.prefix(200))).contains("{\"text\""))
        // 12 of the 120 documents validate, each framed the same way
        #expect(data.val.tokenCount == (108..<120).map { i in
            tokenizer.encode("Document \(i): the quick brown fox \(i % 7 == 0 ? "jumps over the lazy dog" : "sleeps").\n").count + 2
        }.reduce(0, +))
        // a character vocabulary is built from the documents' text, not from JSON syntax
        c.tokenizer = "char"
        let chars = try TokenData.load(config: c)
        #expect(!chars.tokenizer.decode(Array(0..<chars.tokenizer.vocabularySize)).contains("{"))
    }

    @Test func rowsAreBosTextEosThenPaddingMaskedInTheTargets() throws {
        let dir = try temporaryFolder("padded-rows")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try Self.config(data: try Self.corpus(in: dir), context: 64)
        let data = try TokenData.load(config: c)
        let train = try #require(data.train as? PaddedDocumentRows), val = try #require(data.val as? PaddedDocumentRows)
        #expect(train.rows == 108 && val.rows == 12 && train.rowLength == 65)   // 10% of 120 documents validate
        let ids = data.tokenizer.encode("Document 0: the quick brown fox jumps over the lazy dog.\n")
        try #require(ids.count + 2 < 65, "the document fits its row")
        let batch = train.batch([0], device: .cpu)
        let (x, y) = (batch.inputs, batch.targets)
        let row = x.toArray(Int64.self).map(Int.init), targets = y.toArray(Int64.self).map(Int.init)
        #expect(row.first == 1, "<|im_start|> is id 1 in MiniMind's tokenizer")
        #expect(Array(row[1...ids.count]) == ids && row[ids.count + 1] == 2, "text, then <|im_end|> (id 2)")
        #expect(row[(ids.count + 2)...].allSatisfy { $0 == 0 }, "then <|endoftext|> (id 0) as padding")
        #expect(Array(targets[..<(ids.count + 1)]) == Array(ids + [2]))
        #expect(targets[(ids.count + 1)...].allSatisfy { $0 == -1 }, "padding is not a target")
    }

    @Test func miniMindTrainsOnPaddedRows() throws {
        let dir = try temporaryFolder("padded-train")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trainer = try Trainer(config: try Self.config(data: try Self.corpus(in: dir)), runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        let evals = try metricLines("\(dir)/run").filter { $0["val_loss"] != nil }
        let full = evals.compactMap { $0["val_loss_full"] as? Double }
        #expect(full.count == 3 && full.allSatisfy(\.isFinite) && full.last! < full.first!, "\(full)")
    }

    @Test func badPaddedSettingsSayWhatToFix() throws {
        let dir = try temporaryFolder("padded-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = try Self.config(data: try Self.corpus(in: dir))
        c.bosToken = "<|begin_of_text|>"
        do { _ = try TokenData.load(config: c); Issue.record("an unknown bos token must be refused") } catch {
            #expect("\(error)".contains("bos_token '<|begin_of_text|>' is not a special token"))
        }
        try "{\"text\": 1}\n".write(toFile: "\(dir)/bad.jsonl", atomically: true, encoding: .utf8)
        c = try Self.config(data: "\(dir)/bad.jsonl")
        #expect(throws: ConfigError.self) { try TokenData.load(config: c) }
        #expect(throws: ConfigError.self) { try c.apply(override: "data_layout=stacked") }
    }
}
