// MemoryTrainingTests.swift — the explicit memory bank in a run of the trainer: memory_file fills the bank from a
// JSONL file tokenized as the text, or from a JSON array in ExplicitLM's knowledge shapes (a malformed one refused
// with its entry), and the rows are checkpointed and read back by `memory dump`'s loader; the EMA's coverage
// (memory_rows_updated) is logged on the training lines; `memory write` (MemoryBankEditing) changes rows of the
// checkpoint, refuses bad rows and too-long texts, and the run still loads.
import Foundation
@testable import MnemoModels
import Testing
@testable import MnemoTrain

@Suite(.serialized) struct MemoryTrainingTests {
    @Test func theBankFillsFromAJSONLFileTokenizedAsTheText() throws {
        let dir = try temporaryFolder("memory-file")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rowsFile = "\(dir)/rows.jsonl"
        try "{\"text\": \"the quick\"}\n{\"text\": \"lazy dog\"}\n".write(toFile: rowsFile, atomically: true, encoding: .utf8)
        var config = tinyConfig(data: try writeCorpus(in: dir))
        for setting in ["model=minimind", "dim=16", "n_layers=1", "n_heads=2", "n_kv_heads=1", "max_seq_len=16", "use_memory=true",
                        "memory_rows=64", "memory_length=6", "memory_key_dim=8", "memory_candidates=4", "memory_file=\(rowsFile)"] {
            try config.apply(override: setting)
        }
        config.maxIters = 2
        let trainer = try Trainer(config: config, runDirectory: "\(dir)/run")
        trainer.progress = false
        let model = try #require(trainer.model as? MiniMind)
        let rows = model.memoryRows!.narrow(dim: 0, start: 0, length: 2).toArray(Int32.self).map(Int.init)
        #expect(Array(rows[0..<6]) == trainer.data.tokenizer.encode("the qu"))   // truncated to L = 6
        #expect(Array(rows[6..<12]) == trainer.data.tokenizer.encode("lazy d"))
        try trainer.run()
        let loaded = try #require(try LoadedRun(runDirectory: "\(dir)/run").model as? MiniMind)
        #expect(loaded.memoryRows!.narrow(dim: 0, start: 0, length: 1).toArray(Int32.self).map(Int.init) == Array(rows[0..<6]))
    }

    @Test func theBankFillsFromAJSONKnowledgeFileAndLogsTheEMAsCoverage() throws {
        let dir = try temporaryFolder("memory-json")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let knowledge = "\(dir)/knowledge.json"
        try #"["the quick", {"text": "lazy dog"}, {"target": [{"sentence": "a cat", "subject": "cat"}, {"sentence": "dogs"}]}]"#
            .write(toFile: knowledge, atomically: true, encoding: .utf8)
        var config = tinyConfig(data: try writeCorpus(in: dir))
        for setting in ["model=minimind", "dim=16", "n_layers=1", "n_heads=2", "n_kv_heads=1", "max_seq_len=16", "use_memory=true",
                        "memory_rows=64", "memory_length=6", "memory_key_dim=8", "memory_candidates=4", "memory_file=\(knowledge)",
                        "memory_ema_every=1", "memory_freeze_ratio=0", "log_interval=2"] {
            try config.apply(override: setting)
        }
        config.maxIters = 4
        let trainer = try Trainer(config: config, runDirectory: "\(dir)/run")
        trainer.progress = false
        let model = try #require(trainer.model as? MiniMind)
        let rows = model.memoryRows!.narrow(dim: 0, start: 0, length: 4).toArray(Int32.self).map(Int.init)
        let tokenizer = trainer.data.tokenizer
        let pad = model.config.memoryPadId
        for (i, sentence) in ["the quick", "lazy dog", "a cat", "dogs"].enumerated() {
            let expected = Array(tokenizer.encode(sentence).prefix(6))
            #expect(Array(rows[(i * 6)..<(i * 6 + 6)]) == expected + Array(repeating: pad, count: 6 - expected.count), "row \(i)")
        }
        try trainer.run()
        let lines = try String(contentsOfFile: "\(dir)/run/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let logged = lines.filter { $0.contains("\"memory_rows_updated\"") }
        #expect(logged.count >= 2, "every training line after an EMA carries the rows it changed")
        // the offsets cover only the rows the EMA touched, and a loaded run takes the checkpoint's
        let bank = try #require(model.model.memory_bank)
        #expect(bank.touched.count > 0 && bank.touched.count < 64 && bank.offsets.shape == [bank.touched.count, 16])
        let loaded = try #require(try LoadedRun(runDirectory: "\(dir)/run").model as? MiniMind)
        let reloaded = try #require(loaded.model.memory_bank)
        #expect(reloaded.denseOffsets(dim: 16).equal(bank.denseOffsets(dim: 16)))
        #expect((0..<64).allSatisfy { loaded.memoryRowHasOffset($0) == model.memoryRowHasOffset($0) })

        for (text, words) in [(#"{"text": "x"}"#, "not an array"), (#"["ok", 3]"#, "entry 1"),
                              (#"[{"target": [{"subject": "x"}]}]"#, "entry 0: target 0 has no \"sentence\""), ("[", "knowledge.json")] {
            try text.write(toFile: knowledge, atomically: true, encoding: .utf8)
            #expect {
                _ = try Trainer(config: config, runDirectory: "\(dir)/run-\(words.count)")
            } throws: { error in "\(error)".contains("memory_file") && "\(error)".contains(words) }
        }
    }

    @Test func memoryWriteEditsTheCheckpointAndRefusesBadEdits() throws {
        let dir = try temporaryFolder("memory-write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = tinyConfig(data: try writeCorpus(in: dir))
        for setting in ["model=minimind", "dim=16", "n_layers=1", "n_heads=2", "n_kv_heads=1", "max_seq_len=16", "use_memory=true",
                        "memory_rows=64", "memory_length=6", "memory_key_dim=8", "memory_candidates=4", "memory_readout=pointer"] {
            try config.apply(override: setting)
        }
        config.maxIters = 2
        let trainer = try Trainer(config: config, runDirectory: "\(dir)/run")
        trainer.progress = false
        try trainer.run()
        let tokenizer = trainer.data.tokenizer
        let before = try #require(try LoadedRun(runDirectory: "\(dir)/run").model as? MiniMind).memoryRows!.clone()
        let edits = try MemoryBankEditing.parse("# edits\n3\ta dog\n\n63\tlazy\r\n", source: "edits.tsv")
        #expect(edits == [.init(row: 3, text: "a dog"), .init(row: 63, text: "lazy")])
        let written = try MemoryBankEditing.write(edits, runDirectory: "\(dir)/run")
        #expect(written.map(\.row) == [3, 63])
        let loaded = try LoadedRun(runDirectory: "\(dir)/run")   // the checkpoint still loads
        let model = try #require(loaded.model as? MiniMind)
        let rows = model.memoryRows!
        func row(_ r: Int) -> [Int] { rows.narrow(dim: 0, start: r, length: 1).toArray(Int32.self).map(Int.init) }
        #expect(row(3) == tokenizer.encode("a dog") + [0])   // padded with memory_pad_id to memory_length 6
        #expect(row(63) == tokenizer.encode("lazy") + [0, 0])
        #expect(row(3) == written[0].ids)
        // every other row is unchanged
        let unchanged = (0..<64).filter { $0 != 3 && $0 != 63 }
        #expect(unchanged.allSatisfy { r in row(r) == before.narrow(dim: 0, start: r, length: 1).toArray(Int32.self).map(Int.init) })
        #expect(loaded.step == 2)
        // refusals: nothing is written
        #expect(throws: ConfigError.self) { try MemoryBankEditing.write([.init(row: 64, text: "a")], runDirectory: "\(dir)/run") }
        #expect(throws: ConfigError.self) { try MemoryBankEditing.write([.init(row: 5, text: "a"), .init(row: 6, text: "much too long")], runDirectory: "\(dir)/run") }
        let after = try #require(try LoadedRun(runDirectory: "\(dir)/run").model as? MiniMind).memoryRows!
        #expect(after.equal(rows), "a refused edit writes nothing")
        #expect(throws: ConfigError.self) { try MemoryBankEditing.parse("3 the dog\n", source: "edits.tsv") }
        #expect(throws: (any Error).self) { try MemoryBankEditing.write([.init(row: 5, text: "€")], runDirectory: "\(dir)/run") }
    }
}
